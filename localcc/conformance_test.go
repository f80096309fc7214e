package localcc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"
	"github.com/aws/smithy-go"

	"github.com/athanor-iac/athanor/localcc"
)

// target is what the conformance suite runs against: the local endpoint
// (default) or real AWS (ATHANOR_CONFORMANCE_AWS=1, with the IDs of a VPC,
// a bucket and a role given in ATHANOR_CONFORMANCE_VPC,
// ATHANOR_CONFORMANCE_BUCKET and ATHANOR_CONFORMANCE_ROLE; the
// cross-account Firehose cases also need a delivery stream in another
// account and the two roles of cross-account delivery, in
// ATHANOR_CONFORMANCE_FIREHOSE, ATHANOR_CONFORMANCE_FIREHOSE_SOURCE_ROLE
// (this account's) and ATHANOR_CONFORMANCE_FIREHOSE_DEST_ROLE (the
// stream's account's)).
type target struct {
	cc      *cloudcontrol.Client
	local   *localcc.Server // nil against real AWS
	clock   *localcc.ManualClock
	vpc     string
	vpc2    string
	bucket  string
	role    string
	account string
	// firehose is a delivery stream in another account; sourceRole and
	// destRole are the roles cross-account delivery to it needs.
	firehose, sourceRole, destRole string
}

// wait lets time pass: the local endpoint's clock moves at once; against
// AWS the test sleeps.
func (tg *target) wait(d time.Duration) {
	if tg.clock != nil {
		tg.clock.Advance(d)
		return
	}
	time.Sleep(d)
}

func (tg *target) localOnly(t *testing.T) {
	t.Helper()
	if tg.local == nil {
		t.Skip("inspects the local endpoint's internals")
	}
}

func newTarget(t *testing.T, opts localcc.Options) *target {
	t.Helper()
	if os.Getenv("ATHANOR_CONFORMANCE_AWS") == "1" {
		cfg, err := config.LoadDefaultConfig(context.Background())
		if err != nil {
			t.Fatalf("load AWS config: %v", err)
		}
		return &target{cc: cloudcontrol.NewFromConfig(cfg), vpc: os.Getenv("ATHANOR_CONFORMANCE_VPC"), vpc2: os.Getenv("ATHANOR_CONFORMANCE_VPC2"),
			bucket: os.Getenv("ATHANOR_CONFORMANCE_BUCKET"), role: os.Getenv("ATHANOR_CONFORMANCE_ROLE"),
			firehose: os.Getenv("ATHANOR_CONFORMANCE_FIREHOSE"), sourceRole: os.Getenv("ATHANOR_CONFORMANCE_FIREHOSE_SOURCE_ROLE"),
			destRole: os.Getenv("ATHANOR_CONFORMANCE_FIREHOSE_DEST_ROLE")}
	}
	clock := localcc.NewManualClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	opts.Clock = clock
	if opts.Latency == nil {
		opts.Latency = map[string]localcc.Range{"*": {Min: time.Second, Max: time.Second}}
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	const stream = "arn:aws:firehose:us-east-1:210987654321:deliverystream/central-flow-logs"
	opts.Fixtures = append(localcc.SeedFixtures(),
		localcc.Fixture{Type: "AWS::EC2::VPC", Properties: map[string]any{"VpcId": "vpc-00000001", "CidrBlock": "10.9.0.0/16"}},
		localcc.Fixture{Type: "AWS::KinesisFirehose::DeliveryStream", Properties: map[string]any{"DeliveryStreamName": "central-flow-logs", "Arn": stream}})
	srv, err := localcc.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &target{cc: newClient(t, srv.URL()), local: srv, clock: clock, vpc: "vpc-12345678", vpc2: "vpc-00000001",
		bucket: "advanced-vpc-flow-logs", role: "arn:aws:iam::123456789012:role/FlowLogsDeliveryRole", account: "123456789012",
		firehose: stream, sourceRole: "arn:aws:iam::123456789012:role/FlowLogsFirehoseSourceRole",
		destRole: "arn:aws:iam::210987654321:role/AWSLogDeliveryFirehoseCrossAccountRole"}
}

// newClient is the official SDK client pointed at url, as a user would
// configure it.
func newClient(t *testing.T, url string) *cloudcontrol.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")),
		config.WithRetryMaxAttempts(1),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cloudcontrol.NewFromConfig(cfg, func(o *cloudcontrol.Options) { o.BaseEndpoint = aws.String(url) })
}

const flowLog = "AWS::EC2::FlowLog"

func (tg *target) cwlProps() map[string]any {
	return map[string]any{"ResourceType": "VPC", "ResourceId": tg.vpc, "TrafficType": "ALL", "LogGroupName": "g", "DeliverLogsPermissionArn": tg.role}
}

func jsonString(t *testing.T, v any) *string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return aws.String(string(b))
}

func (tg *target) create(t *testing.T, typeName string, props map[string]any, clientToken string) *types.ProgressEvent {
	t.Helper()
	in := &cloudcontrol.CreateResourceInput{TypeName: aws.String(typeName), DesiredState: jsonString(t, props)}
	if clientToken != "" {
		in.ClientToken = aws.String(clientToken)
	}
	out, err := tg.cc.CreateResource(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateResource: %v", err)
	}
	return out.ProgressEvent
}

// settle waits until the request is terminal and returns its last event.
func (tg *target) settle(t *testing.T, ev *types.ProgressEvent) *types.ProgressEvent {
	t.Helper()
	for i := 0; i < 600; i++ {
		out, err := tg.cc.GetResourceRequestStatus(context.Background(), &cloudcontrol.GetResourceRequestStatusInput{RequestToken: ev.RequestToken})
		if err != nil {
			t.Fatalf("GetResourceRequestStatus: %v", err)
		}
		switch out.ProgressEvent.OperationStatus {
		case types.OperationStatusSuccess, types.OperationStatusFailed, types.OperationStatusCancelComplete:
			return out.ProgressEvent
		}
		tg.wait(time.Second)
	}
	t.Fatal("request did not finish")
	return nil
}

func (tg *target) createOK(t *testing.T, typeName string, props map[string]any) string {
	t.Helper()
	ev := tg.settle(t, tg.create(t, typeName, props, ""))
	if ev.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("create %s: %s %s: %s", typeName, ev.OperationStatus, ev.ErrorCode, aws.ToString(ev.StatusMessage))
	}
	id := aws.ToString(ev.Identifier)
	t.Cleanup(func() {
		if tg.local == nil {
			tg.cc.DeleteResource(context.Background(), &cloudcontrol.DeleteResourceInput{TypeName: aws.String(typeName), Identifier: aws.String(id)})
		}
	})
	return id
}

func (tg *target) get(t *testing.T, typeName, id string) map[string]any {
	t.Helper()
	out, err := tg.cc.GetResource(context.Background(), &cloudcontrol.GetResourceInput{TypeName: aws.String(typeName), Identifier: aws.String(id)})
	if err != nil {
		t.Fatalf("GetResource %s: %v", id, err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.ResourceDescription.Properties)), &m); err != nil {
		t.Fatalf("Properties is not a JSON string of an object: %v", err)
	}
	return m
}

func (tg *target) update(t *testing.T, typeName, id string, patch any) (*types.ProgressEvent, error) {
	t.Helper()
	out, err := tg.cc.UpdateResource(context.Background(), &cloudcontrol.UpdateResourceInput{TypeName: aws.String(typeName), Identifier: aws.String(id), PatchDocument: jsonString(t, patch)})
	if err != nil {
		return nil, err
	}
	return out.ProgressEvent, nil
}

// wantAPIError checks an error's code (after the SDK stripped any
// namespace) and that its message contains want.
func wantAPIError(t *testing.T, err error, code, want string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	if !strings.Contains(ae.ErrorMessage(), want) {
		t.Fatalf("message %q does not contain %q", ae.ErrorMessage(), want)
	}
}

func wantFailed(t *testing.T, ev *types.ProgressEvent, code types.HandlerErrorCode, msg string) {
	t.Helper()
	if ev.OperationStatus != types.OperationStatusFailed || ev.ErrorCode != code || !strings.Contains(aws.ToString(ev.StatusMessage), msg) {
		t.Fatalf("got %s %s %q, want FAILED %s containing %q", ev.OperationStatus, ev.ErrorCode, aws.ToString(ev.StatusMessage), code, msg)
	}
}

// Case 3: the happy create, and the read echo with AWS's defaults.
func TestConformanceHappyCreate(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	ev := tg.create(t, flowLog, tg.cwlProps(), "")
	if ev.Operation != types.OperationCreate || (ev.OperationStatus != types.OperationStatusPending && ev.OperationStatus != types.OperationStatusInProgress) {
		t.Fatalf("first event %s %s", ev.Operation, ev.OperationStatus)
	}
	if ev.EventTime == nil {
		t.Fatal("no EventTime")
	}
	done := tg.settle(t, ev)
	id := aws.ToString(done.Identifier)
	if done.OperationStatus != types.OperationStatusSuccess || !strings.HasPrefix(id, "fl-") || len(id) != 20 {
		t.Fatalf("final %s identifier %q", done.OperationStatus, id)
	}
	m := tg.get(t, flowLog, id)
	want := map[string]any{"Id": id, "ResourceType": "VPC", "LogDestinationType": "cloud-watch-logs", "MaxAggregationInterval": float64(600),
		"LogFormat":    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}",
		"LogGroupName": "g", "LogDestination": fmt.Sprintf("arn:aws:logs:us-east-1:%s:log-group:g", tg.account)}
	for k, v := range want {
		if tg.local == nil && k == "LogDestination" {
			continue
		}
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
}

// Case 4: the same ClientToken and request is a retry: same request token,
// no second flow log.
func TestConformanceIdempotentRetry(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	first := tg.create(t, flowLog, tg.cwlProps(), "token-4")
	second := tg.create(t, flowLog, tg.cwlProps(), "token-4")
	if aws.ToString(first.RequestToken) != aws.ToString(second.RequestToken) {
		t.Fatalf("request tokens differ: %s, %s", aws.ToString(first.RequestToken), aws.ToString(second.RequestToken))
	}
	tg.settle(t, first)
	third := tg.create(t, flowLog, tg.cwlProps(), "token-4")
	if third.OperationStatus != types.OperationStatusSuccess || aws.ToString(third.RequestToken) != aws.ToString(first.RequestToken) {
		t.Fatalf("retry after completion: %s %s", third.OperationStatus, aws.ToString(third.RequestToken))
	}
	tg.localOnly(t)
	if n := countFlowLogs(t, tg); n != 1 {
		t.Fatalf("%d flow logs, want 1", n)
	}
}

func countFlowLogs(t *testing.T, tg *target) int {
	t.Helper()
	n := 0
	p := cloudcontrol.NewListResourcesPaginator(tg.cc, &cloudcontrol.ListResourcesInput{TypeName: aws.String(flowLog)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.ResourceDescriptions)
	}
	return n
}

// Case 5: the same ClientToken with another request conflicts.
func TestConformanceClientTokenConflict(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	tg.create(t, flowLog, tg.cwlProps(), "token-5")
	other := tg.cwlProps()
	other["TrafficType"] = "REJECT"
	_, err := tg.cc.CreateResource(context.Background(), &cloudcontrol.CreateResourceInput{TypeName: aws.String(flowLog), DesiredState: jsonString(t, other), ClientToken: aws.String("token-5")})
	var conflict *types.ClientTokenConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("got %v, want ClientTokenConflictException", err)
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() != 409 {
		t.Fatalf("status %d, want 409", re.HTTPStatusCode())
	}
}

// Cases 6 and 7: schema violations are refused synchronously, all at once,
// and no request is recorded.
func TestConformanceSchemaValidation(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	props := tg.cwlProps()
	props["Foo"] = 1
	delete(props, "ResourceId")
	_, err := tg.cc.CreateResource(context.Background(), &cloudcontrol.CreateResourceInput{TypeName: aws.String(flowLog), DesiredState: jsonString(t, props)})
	wantAPIError(t, err, "ValidationException", "Model validation failed (")
	wantAPIError(t, err, "ValidationException", "extraneous key [Foo] is not permitted")
	wantAPIError(t, err, "ValidationException", "required key [ResourceId] not found")
	withID := tg.cwlProps()
	withID["Id"] = "fl-1"
	_, err = tg.cc.CreateResource(context.Background(), &cloudcontrol.CreateResourceInput{TypeName: aws.String(flowLog), DesiredState: jsonString(t, withID)})
	wantAPIError(t, err, "ValidationException", "extraneous key [Id] is not permitted")
	tg.localOnly(t)
	out, err := tg.cc.ListResourceRequests(context.Background(), &cloudcontrol.ListResourceRequestsInput{})
	if err != nil || len(out.ResourceRequestStatusSummaries) != 0 {
		t.Fatalf("requests recorded after validation failures: %v %v", out, err)
	}
}

// Cases 8 to 13: EC2's rules fail the request with the handler's error code
// and EC2's message.
func TestConformanceEC2Rules(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	s3 := func(extra ...any) map[string]any {
		m := map[string]any{"ResourceType": "VPC", "ResourceId": tg.vpc, "TrafficType": "ALL", "LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::" + tg.bucket}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	cases := []struct {
		name  string
		props map[string]any
		code  types.HandlerErrorCode
		msg   string
	}{
		{"s3 with role", s3("DeliverLogsPermissionArn", tg.role), types.HandlerErrorCodeInvalidRequest, "DeliverLogsPermissionArn is not applicable for s3 delivery"},
		{"missing bucket", s3("LogDestination", "arn:aws:s3:::no-such-bucket-athanor"), types.HandlerErrorCodeGeneralServiceException, "LogDestination: no-such-bucket-athanor does not exist"},
		{"tgw interval", map[string]any{"ResourceType": "TransitGateway", "ResourceId": "tgw-0123456789abcdef0", "LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::" + tg.bucket, "MaxAggregationInterval": 600}, types.HandlerErrorCodeInvalidRequest, "max-aggregation-interval other than 60 sec"},
		{"log format trailing space", s3("LogFormat", "${srcaddr} "), types.HandlerErrorCodeInvalidRequest, "has an invalid format"},
		{"missing vpc", s3("ResourceId", "vpc-0000000000000dead"), types.HandlerErrorCodeGeneralServiceException, "vpc-0000000000000dead"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantFailed(t, tg.settle(t, tg.create(t, flowLog, tc.props, "")), tc.code, tc.msg)
		})
	}
	t.Run("duplicate", func(t *testing.T) {
		tg.createOK(t, flowLog, s3())
		wantFailed(t, tg.settle(t, tg.create(t, flowLog, s3(), "")), types.HandlerErrorCodeAlreadyExists, "same configuration")
	})
}

// Cases 14 to 18: patches.
func TestConformancePatches(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	id := tg.createOK(t, flowLog, tg.cwlProps())

	_, err := tg.update(t, flowLog, id, []map[string]any{{"op": "replace", "path": "/TrafficType", "value": "REJECT"}})
	wantAPIError(t, err, "NotUpdatableException", "Invalid patch update: createOnlyProperties [/properties/TrafficType] cannot be updated")
	_, err = tg.update(t, flowLog, id, []map[string]any{{"op": "replace", "path": "/Id", "value": "fl-2"}})
	wantAPIError(t, err, "ValidationException", "Invalid patch update: readOnlyProperties [/properties/Id] cannot be updated")
	if got := tg.get(t, flowLog, id)["TrafficType"]; got != "ALL" {
		t.Fatalf("TrafficType changed to %v by a refused patch", got)
	}

	// Case 16: add a tag.
	ev, err := tg.update(t, flowLog, id, []map[string]any{{"op": "add", "path": "/Tags", "value": []map[string]string{{"Key": "k", "Value": "v"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if done := tg.settle(t, ev); done.OperationStatus != types.OperationStatusSuccess || done.Operation != types.OperationUpdate {
		t.Fatalf("tag add: %s %s", done.OperationStatus, aws.ToString(done.StatusMessage))
	}
	if tags := fmt.Sprint(tg.get(t, flowLog, id)["Tags"]); tags != "[map[Key:k Value:v]]" {
		t.Fatalf("tags %s", tags)
	}

	// Case 17: change tags; the EC2 layer deletes k1=v1 and creates k3=v3.
	set := func(tags ...string) {
		var list []map[string]string
		for i := 0; i < len(tags); i += 2 {
			list = append(list, map[string]string{"Key": tags[i], "Value": tags[i+1]})
		}
		ev, err := tg.update(t, flowLog, id, []map[string]any{{"op": "replace", "path": "/Tags", "value": list}})
		if err != nil {
			t.Fatal(err)
		}
		tg.settle(t, ev)
	}
	set("k1", "v1", "k2", "v2")
	var before int
	if tg.local != nil {
		before = len(tg.local.EC2Calls())
	}
	set("k2", "v2", "k3", "v3")
	if tags := fmt.Sprint(tg.get(t, flowLog, id)["Tags"]); tags != "[map[Key:k2 Value:v2] map[Key:k3 Value:v3]]" {
		t.Fatalf("tags %s", tags)
	}

	// Case 18: a failing test op rejects the whole patch.
	_, err = tg.update(t, flowLog, id, []map[string]any{
		{"op": "replace", "path": "/Tags", "value": []any{}},
		{"op": "test", "path": "/Tags/0/Key", "value": "nope"},
	})
	if err == nil {
		t.Fatal("a patch with a failing test op was accepted")
	}
	if tags := fmt.Sprint(tg.get(t, flowLog, id)["Tags"]); tags != "[map[Key:k2 Value:v2] map[Key:k3 Value:v3]]" {
		t.Fatalf("tags changed by a refused patch: %s", tags)
	}

	tg.localOnly(t)
	calls := tg.local.EC2Calls()[before:]
	want := fmt.Sprint([]localcc.EC2Call{
		{Action: "DeleteTags", FlowLogID: id, Tags: []localcc.Tag{{Key: "k1", Value: "v1"}}},
		{Action: "CreateTags", FlowLogID: id, Tags: []localcc.Tag{{Key: "k3", Value: "v3"}}},
	})
	if fmt.Sprint(calls) != want {
		t.Fatalf("EC2 calls %v, want %v", calls, want)
	}
}

// Case 19: a second mutation while one is in flight.
func TestConformanceConcurrentOperation(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	id := tg.createOK(t, flowLog, tg.cwlProps())
	ev, err := tg.update(t, flowLog, id, []map[string]any{{"op": "add", "path": "/Tags", "value": []map[string]string{{"Key": "a", "Value": "b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tg.cc.DeleteResource(context.Background(), &cloudcontrol.DeleteResourceInput{TypeName: aws.String(flowLog), Identifier: aws.String(id)})
	wantAPIError(t, err, "ConcurrentOperationException", aws.ToString(ev.RequestToken))
	tg.settle(t, ev)
}

// Cases 20 and 21: reads of missing resources, and delete.
func TestConformanceReadAndDelete(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	_, err := tg.cc.GetResource(context.Background(), &cloudcontrol.GetResourceInput{TypeName: aws.String(flowLog), Identifier: aws.String("fl-00000000")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("got %v, want ResourceNotFoundException", err)
	}
	if !strings.Contains(nf.ErrorMessage(), "AWS::EC2::FlowLog Handler returned status FAILED: ") || !strings.Contains(nf.ErrorMessage(), "(HandlerErrorCode: NotFound, RequestToken: ") {
		t.Fatalf("message %q", nf.ErrorMessage())
	}
	id := tg.createOK(t, flowLog, tg.cwlProps())
	out, err := tg.cc.DeleteResource(context.Background(), &cloudcontrol.DeleteResourceInput{TypeName: aws.String(flowLog), Identifier: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	done := tg.settle(t, out.ProgressEvent)
	if done.OperationStatus != types.OperationStatusSuccess || done.Operation != types.OperationDelete || done.ResourceModel != nil {
		t.Fatalf("delete: %s %s model %v", done.OperationStatus, done.Operation, done.ResourceModel)
	}
	_, err = tg.cc.GetResource(context.Background(), &cloudcontrol.GetResourceInput{TypeName: aws.String(flowLog), Identifier: aws.String(id)})
	if !errors.As(err, &nf) {
		t.Fatalf("after delete: %v", err)
	}
	out, err = tg.cc.DeleteResource(context.Background(), &cloudcontrol.DeleteResourceInput{TypeName: aws.String(flowLog), Identifier: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	// Deleting it again ends NotFound, as the handler contract's
	// delete-delete test requires (the 2022 handler copy [H] said
	// GeneralServiceException).
	wantFailed(t, tg.settle(t, out.ProgressEvent), types.HandlerErrorCodeNotFound, id)
}

// Case 22: ListResources pages with NextToken.
func TestConformanceListPaging(t *testing.T) {
	tg := newTarget(t, localcc.Options{FlowLogsPerResource: 1000})
	tg.localOnly(t)
	var last *types.ProgressEvent
	for i := 0; i < 501; i++ {
		p := tg.cwlProps()
		p["LogGroupName"] = fmt.Sprintf("g-%03d", i)
		last = tg.create(t, flowLog, p, "")
	}
	tg.settle(t, last)
	pages, n := 0, 0
	p := cloudcontrol.NewListResourcesPaginator(tg.cc, &cloudcontrol.ListResourcesInput{TypeName: aws.String(flowLog)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, d := range page.ResourceDescriptions {
			var m map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(d.Properties)), &m); err != nil || m["Id"] != aws.ToString(d.Identifier) {
				t.Fatalf("description %s: %v %v", aws.ToString(d.Identifier), m, err)
			}
			n++
		}
	}
	if pages < 2 || n != 501 {
		t.Fatalf("%d pages, %d resources", pages, n)
	}
}

// Case 23: unknown and expired request tokens.
func TestConformanceRequestTokens(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	_, err := tg.cc.GetResourceRequestStatus(context.Background(), &cloudcontrol.GetResourceRequestStatusInput{RequestToken: aws.String("00000000-0000-4000-8000-000000000000")})
	var nf *types.RequestTokenNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("got %v", err)
	}
	tg.localOnly(t)
	ev := tg.settle(t, tg.create(t, flowLog, tg.cwlProps(), ""))
	tg.wait(7*24*time.Hour + time.Minute)
	_, err = tg.cc.GetResourceRequestStatus(context.Background(), &cloudcontrol.GetResourceRequestStatusInput{RequestToken: ev.RequestToken})
	if !errors.As(err, &nf) {
		t.Fatalf("after 7 days: %v", err)
	}
}

// Cases 24 and 25: cancel, and the SDK's own waiter.
func TestConformanceCancelAndWaiter(t *testing.T) {
	tg := newTarget(t, localcc.Options{Latency: map[string]localcc.Range{"*": {Min: 8 * time.Second, Max: 8 * time.Second}}})
	tg.localOnly(t)
	ev := tg.create(t, flowLog, tg.cwlProps(), "")
	out, err := tg.cc.CancelResourceRequest(context.Background(), &cloudcontrol.CancelResourceRequestInput{RequestToken: ev.RequestToken})
	if err != nil {
		t.Fatal(err)
	}
	if out.ProgressEvent.OperationStatus != types.OperationStatusCancelInProgress {
		t.Fatalf("cancel: %s", out.ProgressEvent.OperationStatus)
	}
	final := tg.settle(t, ev)
	if final.OperationStatus != types.OperationStatusCancelComplete {
		t.Fatalf("after cancel: %s", final.OperationStatus)
	}
	if n := countFlowLogs(t, tg); n != 0 {
		t.Fatalf("cancelled create left %d flow logs", n)
	}
	done := tg.settle(t, tg.create(t, flowLog, tg.cwlProps(), ""))
	out, err = tg.cc.CancelResourceRequest(context.Background(), &cloudcontrol.CancelResourceRequestInput{RequestToken: done.RequestToken})
	if err != nil || out.ProgressEvent.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("cancel of a finished request: %v %v", out, err)
	}

	// The SDK waiter sleeps for real, so the request must finish on the
	// real clock: a second endpoint with a real clock and no latency.
	srv, err := localcc.Start(localcc.Options{Latency: map[string]localcc.Range{"*": {}}, Fixtures: localcc.SeedFixtures()}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cc := newClient(t, srv.URL())
	created, err := cc.CreateResource(context.Background(), &cloudcontrol.CreateResourceInput{TypeName: aws.String(flowLog), DesiredState: jsonString(t, tg.cwlProps())})
	if err != nil {
		t.Fatal(err)
	}
	w := cloudcontrol.NewResourceRequestSuccessWaiter(cc, func(o *cloudcontrol.ResourceRequestSuccessWaiterOptions) {
		o.MinDelay = time.Millisecond
		o.MaxDelay = 5 * time.Millisecond
	})
	res, err := w.WaitForOutput(context.Background(), &cloudcontrol.GetResourceRequestStatusInput{RequestToken: created.ProgressEvent.RequestToken}, 10*time.Second)
	if err != nil || res.ProgressEvent.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("waiter: %v", err)
	}
	dup, err := cc.CreateResource(context.Background(), &cloudcontrol.CreateResourceInput{TypeName: aws.String(flowLog), DesiredState: jsonString(t, tg.cwlProps())})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.WaitForOutput(context.Background(), &cloudcontrol.GetResourceRequestStatusInput{RequestToken: dup.ProgressEvent.RequestToken}, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "waiter state transitioned to Failure") {
		t.Fatalf("waiter on a failing request: %v", err)
	}
}

// Case 26: ListResourceRequests filters and pages.
func TestConformanceListRequests(t *testing.T) {
	tg := newTarget(t, localcc.Options{FlowLogsPerResource: 100})
	tg.localOnly(t)
	var evs []*types.ProgressEvent
	for i := 0; i < 25; i++ {
		p := tg.cwlProps()
		p["LogGroupName"] = fmt.Sprintf("q-%d", i)
		evs = append(evs, tg.create(t, flowLog, p, ""))
	}
	tg.settle(t, evs[0])
	for i := 0; i < 3; i++ {
		p := tg.cwlProps()
		p["LogGroupName"] = fmt.Sprintf("r-%d", i)
		tg.create(t, flowLog, p, "")
	}
	out, err := tg.cc.ListResourceRequests(context.Background(), &cloudcontrol.ListResourceRequestsInput{ResourceRequestStatusFilter: &types.ResourceRequestStatusFilter{
		Operations: []types.Operation{types.OperationCreate}, OperationStatuses: []types.OperationStatus{types.OperationStatusInProgress}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ResourceRequestStatusSummaries) != 3 {
		t.Fatalf("%d in-progress creates, want 3", len(out.ResourceRequestStatusSummaries))
	}
	for _, s := range out.ResourceRequestStatusSummaries {
		if s.OperationStatus != types.OperationStatusInProgress || s.Operation != types.OperationCreate {
			t.Fatalf("filter let through %s %s", s.Operation, s.OperationStatus)
		}
	}
	total, pages := 0, 0
	p := cloudcontrol.NewListResourceRequestsPaginator(tg.cc, &cloudcontrol.ListResourceRequestsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(page.ResourceRequestStatusSummaries) > 20 {
			t.Fatalf("page of %d, want at most 20", len(page.ResourceRequestStatusSummaries))
		}
		pages++
		total += len(page.ResourceRequestStatusSummaries)
	}
	if total != 28 || pages != 2 {
		t.Fatalf("%d requests in %d pages, want 28 in 2", total, pages)
	}
}
