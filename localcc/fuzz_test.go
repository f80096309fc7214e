package localcc_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/localcc"
)

// fuzzOps are the eight Cloud Control operations.
var fuzzOps = []string{
	"CreateResource", "GetResource", "UpdateResource", "DeleteResource",
	"ListResources", "GetResourceRequestStatus", "ListResourceRequests", "CancelResourceRequest",
}

// fuzzServer is a fresh endpoint per input, so that a finding reproduces
// from its input alone: seed fixtures, a ManualClock, a fixed seed, and one
// create already made, whose request token the seed corpus uses.
func fuzzServer(t testing.TB) (*localcc.Server, *localcc.ManualClock, string) {
	clock := localcc.NewManualClock(epochStart)
	srv, err := localcc.New(localcc.Options{Clock: clock, Seed: 3, Fixtures: localcc.SeedFixtures(), ListPageSize: 2,
		Latency: map[string]localcc.Range{"*": {Min: time.Second, Max: time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	code, body := serve(srv, "CreateResource", []byte(`{"TypeName":"AWS::Logs::LogGroup","DesiredState":"{\"LogGroupName\":\"fuzz\"}","ClientToken":"fuzz-1"}`))
	if code != 200 {
		t.Fatalf("setup create: %d %s", code, body)
	}
	var out struct{ ProgressEvent struct{ RequestToken string } }
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return srv, clock, out.ProgressEvent.RequestToken
}

func serve(srv *localcc.Server, op string, body []byte) (int, []byte) {
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "CloudApiService."+op)
	req.Header.Set("X-Amz-Date", "20261124T120000Z")
	req.Header.Set("Authorization", fakeAuth)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// FuzzRequestDecoding sends arbitrary bodies to every operation. Whatever
// the bytes, the endpoint must not panic, must answer 500 only as
// InternalFailure, and every non-2xx answer must carry __type and Message.
// Between operations the clock moves, so the handlers of whatever was
// accepted run too.
func FuzzRequestDecoding(f *testing.F) {
	srv, _, token := fuzzServer(f)
	srv.Close()
	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"TypeName":5}`,
		`{"TypeName":"AWS::Logs::LogGroup","DesiredState":"{\"LogGroupName\":\"a\",\"RetentionInDays\":7}","ClientToken":"ct-1"}`,
		`{"TypeName":"AWS::EC2::FlowLog","DesiredState":"{\"ResourceType\":\"VPC\",\"ResourceId\":\"vpc-12345678\",\"TrafficType\":\"ALL\",\"LogGroupName\":\"g\",\"DeliverLogsPermissionArn\":\"arn:aws:iam::123456789012:role/FlowLogsDeliveryRole\"}"}`,
		`{"TypeName":"AWS::EC2::FlowLog","DesiredState":"{\"ResourceType\":\"VPC\",\"ResourceId\":\"vpc-12345678\",\"LogDestinationType\":\"s3\",\"LogDestination\":\"arn:aws:s3:::advanced-vpc-flow-logs/x/\",\"LogFormat\":\"${srcaddr} ${dstaddr}\",\"MaxAggregationInterval\":60,\"DestinationOptions\":{\"FileFormat\":\"parquet\",\"HiveCompatiblePartitions\":true,\"PerHourPartition\":false},\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}"}`,
		`{"TypeName":"AWS::EC2::Subnet","DesiredState":"{\"VpcId\":\"vpc-12345678\",\"CidrBlock\":\"10.0.2.0/24\"}"}`,
		`{"TypeName":"AWS::EC2::VPC","DesiredState":"{\"CidrBlock\":\"10.3.0.0/16\",\"Ipv4NetmaskLength\":16}"}`,
		`{"TypeName":"AWS::S3::Bucket","DesiredState":"{}"}`,
		`{"TypeName":"AWS::IAM::Role","DesiredState":"{\"RoleName\":\"r\",\"Path\":\"/a/\",\"AssumeRolePolicyDocument\":{}}"}`,
		`{"TypeName":"AWS::Logs::LogGroup","Identifier":"fuzz"}`,
		`{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"[{\"op\":\"replace\",\"path\":\"/RetentionInDays\",\"value\":90}]"}`,
		`{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"[{\"op\":\"add\",\"path\":\"Tags\",\"value\":[{\"Key\":\"a\",\"Value\":\"b\"}]},{\"op\":\"test\",\"path\":\"/Tags/0/Key\",\"value\":\"a\"},{\"op\":\"copy\",\"from\":\"/Tags\",\"path\":\"/Tags/-\"},{\"op\":\"move\",\"from\":\"/Tags/0\",\"path\":\"/Tags/-1\"},{\"op\":\"remove\",\"path\":\"/Tags/0\"}]"}`,
		`{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"[{\"op\":\"replace\",\"path\":\"\",\"value\":{}}]"}`,
		`{"TypeName":"AWS::EC2::VPC","Identifier":"vpc-12345678","PatchDocument":"[{\"op\":\"remove\",\"path\":\"/Tags\"}]"}`,
		`{"TypeName":"AWS::EC2::VPC","Identifier":"vpc-12345678"}`,
		`{"TypeName":"AWS::EC2::FlowLog","MaxResults":5}`,
		`{"TypeName":"AWS::Logs::LogGroup","NextToken":"cjpBV1M6OkxvZ3M6OkxvZ0dyb3VwAHZwYy1mbG93LWxvZ3M="}`,
		`{"RequestToken":"` + token + `"}`,
		`{"MaxResults":1,"ResourceRequestStatusFilter":{"Operations":["CREATE"],"OperationStatuses":["IN_PROGRESS","SUCCESS"]}}`,
		`{"NextToken":"cQAx"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		srv, clock, _ := fuzzServer(t)
		defer srv.Close()
		for _, op := range fuzzOps {
			code, out := serve(srv, op, body)
			checkAnswer(t, op, code, out)
			clock.Advance(2 * time.Second)
			srv.Settle()
		}
		// Reads of everything that now exists run the read handlers
		// over whatever the creates and updates stored.
		for _, typ := range []string{"AWS::Logs::LogGroup", "AWS::EC2::FlowLog", "AWS::EC2::VPC"} {
			code, out := serve(srv, "ListResources", []byte(`{"TypeName":"`+typ+`"}`))
			checkAnswer(t, "ListResources", code, out)
		}
	})
}

func checkAnswer(t *testing.T, op string, code int, body []byte) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: status %d, body not a JSON object: %v: %q", op, code, err, body)
	}
	if code >= 200 && code < 300 {
		return
	}
	typ, _ := m["__type"].(string)
	msg, _ := m["Message"].(string)
	if typ == "" || msg == "" {
		t.Fatalf("%s: status %d without __type or Message: %s", op, code, body)
	}
	if code == 500 && !strings.HasSuffix(typ, "InternalFailure") {
		t.Fatalf("%s: 500 with __type %s: %s", op, typ, body)
	}
	if code >= 500 && code != 500 && code != 502 {
		t.Fatalf("%s: status %d: %s", op, code, body)
	}
}
