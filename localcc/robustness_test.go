package localcc_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/localcc"
)

// Every kind of bad input gets AWS's error shape: the right status, the
// awsJson1_0 content type, and a JSON body with __type and Message.
func TestBadInputErrorShapes(t *testing.T) {
	srv, _ := startLocal(t, localcc.Options{ListPageSize: 1})
	url := srv.URL()
	lg := "AWS::Logs::LogGroup"

	// A NextToken of a ListResources listing of another type.
	page := rawJSON(t, url, "ListResources", map[string]any{"TypeName": lg})
	if page.Status != 200 {
		t.Fatalf("ListResources: %d %s", page.Status, page.Body)
	}
	lgToken, _ := page.JSON["NextToken"].(string)
	if lgToken == "" {
		t.Fatalf("no NextToken with a page size of 1: %s", page.Body)
	}

	cases := []struct {
		name   string
		op     string
		body   string
		mod    func(*http.Request)
		status int
		shape  string
	}{
		{"malformed JSON", "CreateResource", `{"TypeName":`, nil, 400, "SerializationException"},
		{"JSON array body", "CreateResource", `[{"TypeName":"AWS::Logs::LogGroup"}]`, nil, 400, "SerializationException"},
		{"JSON string body", "GetResource", `"AWS::Logs::LogGroup"`, nil, 400, "SerializationException"},
		{"TypeName is a number", "GetResource", `{"TypeName":5,"Identifier":"x"}`, nil, 400, "SerializationException"},
		{"MaxResults is a string", "ListResources", `{"TypeName":"AWS::Logs::LogGroup","MaxResults":"5"}`, nil, 400, "SerializationException"},
		{"filter is a string", "ListResourceRequests", `{"ResourceRequestStatusFilter":"CREATE"}`, nil, 400, "SerializationException"},
		{"unknown operation", "DescribeResource", `{}`, nil, 400, "UnknownOperationException"},
		{"target of another service", "", `{}`, func(r *http.Request) { r.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables") }, 400, "UnknownOperationException"},
		{"missing X-Amz-Target", "", `{}`, nil, 400, "UnknownOperationException"},
		{"missing TypeName", "CreateResource", `{"DesiredState":"{}"}`, nil, 400, "ValidationException"},
		{"missing DesiredState", "CreateResource", `{"TypeName":"AWS::Logs::LogGroup"}`, nil, 400, "ValidationException"},
		{"missing Identifier", "GetResource", `{"TypeName":"AWS::Logs::LogGroup"}`, nil, 400, "ValidationException"},
		{"empty body", "GetResource", ``, nil, 400, "ValidationException"},
		{"null body", "DeleteResource", `null`, nil, 400, "ValidationException"},
		{"TypeName fails the pattern", "GetResource", `{"TypeName":"AWS::Logs","Identifier":"x"}`, nil, 400, "ValidationException"},
		{"TypeName too long", "GetResource", `{"TypeName":"AWS::Logs::` + strings.Repeat("A", 190) + `","Identifier":"x"}`, nil, 400, "ValidationException"},
		{"Identifier too long", "GetResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"` + strings.Repeat("x", 1025) + `"}`, nil, 400, "ValidationException"},
		{"bad ClientToken", "CreateResource", `{"TypeName":"AWS::Logs::LogGroup","DesiredState":"{}","ClientToken":"not a token!"}`, nil, 400, "ValidationException"},
		{"bad RoleArn", "GetResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"x","RoleArn":"arn:aws:iam::1:user/someone"}`, nil, 400, "ValidationException"},
		{"unknown type", "GetResource", `{"TypeName":"AWS::Nope::Thing","Identifier":"x"}`, nil, 404, "TypeNotFoundException"},
		{"unknown type on create", "CreateResource", `{"TypeName":"AWS::Nope::Thing","DesiredState":"{}"}`, nil, 404, "TypeNotFoundException"},
		{"unknown type on list", "ListResources", `{"TypeName":"AWS::Nope::Thing"}`, nil, 404, "TypeNotFoundException"},
		{"DesiredState not JSON", "CreateResource", `{"TypeName":"AWS::Logs::LogGroup","DesiredState":"{LogGroupName: x"}`, nil, 400, "ValidationException"},
		{"DesiredState an array", "CreateResource", `{"TypeName":"AWS::Logs::LogGroup","DesiredState":"[1,2]"}`, nil, 400, "ValidationException"},
		{"DesiredState null", "CreateResource", `{"TypeName":"AWS::Logs::LogGroup","DesiredState":"null"}`, nil, 400, "ValidationException"},
		{"DesiredState two values", "CreateResource", `{"TypeName":"AWS::Logs::LogGroup","DesiredState":"{} {}"}`, nil, 400, "ValidationException"},
		{"DesiredState with a stray brace", "CreateResource", `{"TypeName":"AWS::Logs::LogGroup","DesiredState":"{\"LogGroupName\":\"x\"}}"}`, nil, 400, "ValidationException"},
		{"PatchDocument with a stray bracket", "UpdateResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"[{\"op\":\"replace\",\"path\":\"/RetentionInDays\",\"value\":1}]]"}`, nil, 400, "ValidationException"},
		{"body with trailing data", "GetResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs"}}`, nil, 400, "SerializationException"},
		{"DesiredState empty", "CreateResource", `{"TypeName":"AWS::Logs::LogGroup","DesiredState":""}`, nil, 400, "ValidationException"},
		{"DesiredState an object as JSON, not a string", "CreateResource", `{"TypeName":"AWS::Logs::LogGroup","DesiredState":{"LogGroupName":"x"}}`, nil, 400, "SerializationException"},
		{"PatchDocument not an array", "UpdateResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"{\"op\":\"replace\"}"}`, nil, 400, "ValidationException"},
		{"PatchDocument not JSON", "UpdateResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"[{"}`, nil, 400, "ValidationException"},
		{"PatchDocument empty array", "UpdateResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"[]"}`, nil, 400, "ValidationException"},
		{"PatchDocument unknown op", "UpdateResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"[{\"op\":\"merge\",\"path\":\"/RetentionInDays\",\"value\":1}]"}`, nil, 400, "ValidationException"},
		{"PatchDocument op not a string", "UpdateResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"[{\"op\":1,\"path\":\"/RetentionInDays\"}]"}`, nil, 400, "ValidationException"},
		{"PatchDocument missing path", "UpdateResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"[{\"op\":\"replace\",\"value\":1}]"}`, nil, 400, "ValidationException"},
		{"PatchDocument move without from", "UpdateResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"[{\"op\":\"move\",\"path\":\"/Tags\"}]"}`, nil, 400, "ValidationException"},
		{"PatchDocument element not an object", "UpdateResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs","PatchDocument":"[1]"}`, nil, 400, "ValidationException"},
		{"PatchDocument missing", "UpdateResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs"}`, nil, 400, "ValidationException"},
		{"update of a missing resource", "UpdateResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"no-such-group","PatchDocument":"[{\"op\":\"replace\",\"path\":\"/RetentionInDays\",\"value\":1}]"}`, nil, 404, "ResourceNotFoundException"},
		{"get of a missing resource", "GetResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"no-such-group"}`, nil, 404, "ResourceNotFoundException"},
		{"unknown RequestToken", "GetResourceRequestStatus", `{"RequestToken":"00000000-0000-4000-8000-000000000000"}`, nil, 404, "RequestTokenNotFoundException"},
		{"unknown RequestToken on cancel", "CancelResourceRequest", `{"RequestToken":"00000000-0000-4000-8000-000000000000"}`, nil, 404, "RequestTokenNotFoundException"},
		{"malformed RequestToken", "GetResourceRequestStatus", `{"RequestToken":"not a token!"}`, nil, 400, "ValidationException"},
		{"too long RequestToken", "GetResourceRequestStatus", `{"RequestToken":"` + strings.Repeat("a", 129) + `"}`, nil, 400, "ValidationException"},
		{"empty RequestToken", "CancelResourceRequest", `{"RequestToken":""}`, nil, 400, "ValidationException"},
		{"missing RequestToken", "GetResourceRequestStatus", `{}`, nil, 400, "ValidationException"},
		{"NextToken of another type", "ListResources", `{"TypeName":"AWS::EC2::VPC","NextToken":"` + lgToken + `"}`, nil, 400, "InvalidRequestException"},
		{"NextToken not base64", "ListResources", `{"TypeName":"AWS::Logs::LogGroup","NextToken":"%%%"}`, nil, 400, "InvalidRequestException"},
		{"NextToken of ListResources on ListResourceRequests", "ListResourceRequests", `{"NextToken":"` + lgToken + `"}`, nil, 400, "ValidationException"},
		{"ListResources MaxResults 0", "ListResources", `{"TypeName":"AWS::Logs::LogGroup","MaxResults":0}`, nil, 400, "ValidationException"},
		{"ListResources MaxResults 101", "ListResources", `{"TypeName":"AWS::Logs::LogGroup","MaxResults":101}`, nil, 400, "ValidationException"},
		{"ListResourceRequests MaxResults 0", "ListResourceRequests", `{"MaxResults":0}`, nil, 400, "ValidationException"},
		{"ListResourceRequests MaxResults 101", "ListResourceRequests", `{"MaxResults":101}`, nil, 400, "ValidationException"},
		{"ListResourceRequests MaxResults negative", "ListResourceRequests", `{"MaxResults":-1}`, nil, 400, "ValidationException"},
		{"missing Authorization", "GetResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs"}`, func(r *http.Request) { r.Header.Del("Authorization") }, 400, "MissingAuthenticationTokenException"},
		{"malformed Authorization", "GetResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs"}`, func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }, 400, "IncompleteSignatureException"},
		{"Authorization without Signature", "GetResource", `{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs"}`, func(r *http.Request) {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/cloudcontrolapi/aws4_request, SignedHeaders=host;x-amz-date")
		}, 400, "IncompleteSignatureException"},
		{"GET instead of POST", "GetResource", ``, func(r *http.Request) { r.Method = http.MethodGet; r.Body = nil; r.ContentLength = 0 }, 404, "UnknownOperationException"},
		{"PUT instead of POST", "GetResource", `{}`, func(r *http.Request) { r.Method = http.MethodPut }, 404, "UnknownOperationException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rawCall(t, url, tc.op, []byte(tc.body), tc.mod)
			wantShape(t, r, tc.status, tc.shape)
			if got := r.Header.Get("X-Amzn-ErrorType"); got != tc.shape {
				t.Errorf("X-Amzn-ErrorType %q, want %s", got, tc.shape)
			}
			for _, leak := range []string{"Go value", "localcc.", "interface {}", ": )"} {
				if strings.Contains(r.message(), leak) {
					t.Errorf("message shows the endpoint's internals (%q): %s", leak, r.message())
				}
			}
			if r.Header.Get("X-Amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId")
			}
		})
	}

	// None of the refused calls started a request.
	reqs := rawJSON(t, url, "ListResourceRequests", map[string]any{})
	if n := len(reqs.JSON["ResourceRequestStatusSummaries"].([]any)); n != 0 {
		t.Fatalf("refused calls recorded %d requests: %s", n, reqs.Body)
	}
}

// A body over 1 MiB is refused with 413 before it is read whole.
func TestOversizeBody(t *testing.T) {
	srv, _ := startLocal(t, localcc.Options{})
	big := `{"TypeName":"AWS::Logs::LogGroup","DesiredState":"` + strings.Repeat("a", 1<<20) + `"}`
	r := rawCall(t, srv.URL(), "CreateResource", []byte(big), nil)
	wantShape(t, r, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException")

	// A DesiredState over its 64 KiB limit inside a small enough body is a
	// ValidationException.
	state, _ := json.Marshal(map[string]any{"LogGroupName": strings.Repeat("b", 70000)})
	body, _ := json.Marshal(map[string]any{"TypeName": "AWS::Logs::LogGroup", "DesiredState": string(state)})
	wantShape(t, rawCall(t, srv.URL(), "CreateResource", body, nil), 400, "ValidationException")
}

// Some clients post to /?Action=<Op>&Version=2021-09-30; the query string is
// ignored and the target header selects the operation.
func TestQueryStringIgnored(t *testing.T) {
	srv, _ := startLocal(t, localcc.Options{})
	body := []byte(`{"TypeName":"AWS::Logs::LogGroup","Identifier":"vpc-flow-logs"}`)
	r := rawCall(t, srv.URL(), "GetResource", body, func(r *http.Request) {
		r.URL.RawQuery = "Action=CreateResource&Version=2021-09-30"
	})
	if r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		t.Errorf("Content-Type %q", ct)
	}
	desc, _ := r.JSON["ResourceDescription"].(map[string]any)
	if desc["Identifier"] != "vpc-flow-logs" {
		t.Fatalf("answered %s", r.Body)
	}
	// And the same with the action naming a read while the target creates.
	r = rawCall(t, srv.URL(), "CreateResource", []byte(`{"TypeName":"AWS::Logs::LogGroup","DesiredState":"{\"LogGroupName\":\"q\"}"}`), func(r *http.Request) {
		r.URL.RawQuery = "Action=GetResource&Version=2021-09-30"
	})
	if ev := event(t, r); ev["Operation"] != "CREATE" {
		t.Fatalf("answered %s", r.Body)
	}
}

// The endpoint's own pages answer JSON, and unknown ones 404 in JSON.
func TestControlPages(t *testing.T) {
	srv, _ := startLocal(t, localcc.Options{})
	for path, status := range map[string]int{"/_athanor/health": 200, "/_athanor/metrics": 200, "/_athanor/nope": 404} {
		resp, err := http.Get(srv.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != status || !json.Valid(data) || !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, data)
		}
	}
}
