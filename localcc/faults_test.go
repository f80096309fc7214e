package localcc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"
	"github.com/aws/smithy-go"

	"github.com/athanor-iac/athanor/localcc"
)

const getVPCBody = `{"TypeName":"AWS::EC2::VPC","Identifier":"vpc-12345678"}`

func TestThrottle(t *testing.T) {
	tg := localTarget(t, localcc.Options{ThrottleRPS: 5, ThrottleBurst: 5})
	url := tg.local.URL()
	for round := 0; round < 2; round++ {
		for i := 0; i < 5; i++ {
			if r := rawCall(t, url, "GetResource", []byte(getVPCBody), nil); r.Status != 200 {
				t.Fatalf("round %d call %d: %d %s", round, i+1, r.Status, r.Body)
			}
		}
		r := rawCall(t, url, "GetResource", []byte(getVPCBody), nil)
		wantShape(t, r, http.StatusTooManyRequests, "ThrottlingException")
		if r.errType() != "com.amazon.coral.availability#ThrottlingException" {
			t.Fatalf("__type %q", r.errType())
		}
		// The SDK decodes it as its modelled ThrottlingException.
		_, err := tg.cc.GetResource(context.Background(), &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::EC2::VPC"), Identifier: aws.String("vpc-12345678")})
		var te *types.ThrottlingException
		if !errors.As(err, &te) {
			t.Fatalf("SDK: got %v, want ThrottlingException", err)
		}
		tg.clock.Advance(time.Second)
	}
	if m := tg.local.Metrics(); m.Throttled != 4 {
		t.Fatalf("Throttled %d, want 4", m.Throttled)
	}
	// Half a second refills 2.5 tokens: two calls pass, the third does not.
	for i := 0; i < 5; i++ {
		rawCall(t, url, "GetResource", []byte(getVPCBody), nil)
	}
	tg.clock.Advance(500 * time.Millisecond)
	for i, want := range []int{200, 200, 429} {
		if r := rawCall(t, url, "GetResource", []byte(getVPCBody), nil); r.Status != want {
			t.Fatalf("after 0.5 s, call %d: %d, want %d", i+1, r.Status, want)
		}
	}
}

func TestFaultServerErrors(t *testing.T) {
	tg := localTarget(t, localcc.Options{Faults: localcc.Faults{ServerErrors: 1}})
	url := tg.local.URL()
	for i := 0; i < 3; i++ {
		r := rawJSON(t, url, "CreateResource", map[string]any{"TypeName": "AWS::EC2::FlowLog", "DesiredState": mustString(t, tg.cwlProps())})
		wantShape(t, r, 500, "InternalFailure")
	}
	_, err := tg.cc.CreateResource(context.Background(), &cloudcontrol.CreateResourceInput{TypeName: aws.String("AWS::Logs::LogGroup"), DesiredState: aws.String(`{"LogGroupName":"x"}`)})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InternalFailure" {
		t.Fatalf("SDK: %v", err)
	}
	tg.clock.Advance(time.Minute)
	tg.local.Settle()
	m := tg.local.Metrics()
	if m.Faults.ServerErrors != 4 || m.Finished != 0 {
		t.Fatalf("server errors %d, finished %d", m.Faults.ServerErrors, m.Finished)
	}
	if calls := tg.local.EC2Calls(); len(calls) != 0 {
		t.Fatalf("EC2 calls after injected server errors: %v", calls)
	}
}

func mustString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFaultHandlerFailures(t *testing.T) {
	tg := localTarget(t, localcc.Options{Faults: localcc.Faults{HandlerFailures: 1, HandlerCode: "Throttling"}})
	ev := tg.settle(t, tg.create(t, "AWS::SNS::Topic", map[string]any{"TopicName": "t"}, ""))
	wantFailed(t, ev, types.HandlerErrorCodeThrottling, "")
	fl := tg.settle(t, tg.create(t, flowLog, tg.cwlProps(), ""))
	wantFailed(t, fl, types.HandlerErrorCodeThrottling, "")
	out, err := tg.cc.ListResources(context.Background(), &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::SNS::Topic")})
	if err != nil || len(out.ResourceDescriptions) != 0 {
		t.Fatalf("list after a failed create: %v %v", out, err)
	}
	if n := countFlowLogs(t, tg); n != 0 {
		t.Fatalf("%d flow logs after a failed create", n)
	}
	if calls := tg.local.EC2Calls(); len(calls) != 0 {
		t.Fatalf("EC2 calls: %v", calls)
	}
	// Updates and deletes fail the same way and change nothing.
	up, err := tg.update(t, "AWS::Logs::LogGroup", "vpc-flow-logs", []map[string]any{{"op": "replace", "path": "/RetentionInDays", "value": 1}})
	if err != nil {
		t.Fatal(err)
	}
	wantFailed(t, tg.settle(t, up), types.HandlerErrorCodeThrottling, "")
	wantFailed(t, tg.deleteAndSettle(t, "AWS::Logs::LogGroup", "vpc-flow-logs"), types.HandlerErrorCodeThrottling, "")
	if m := tg.get(t, "AWS::Logs::LogGroup", "vpc-flow-logs"); m["RetentionInDays"] != float64(30) {
		t.Fatalf("failed update changed the model: %v", m)
	}
	if n := tg.local.Metrics().Faults.HandlerFailures; n != 4 {
		t.Fatalf("HandlerFailures %d, want 4", n)
	}
}

// noKeepAlive sends each call on a new connection, so that a dropped one
// is seen as such and never retried by the transport.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// tryRaw is rawCall that reports a connection error instead of failing.
func tryRaw(t *testing.T, url, op string, body []byte) (*rawResponse, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "CloudApiService."+op)
	req.Header.Set("Authorization", fakeAuth)
	resp, err := noKeepAlive.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := &rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: data}
	if err := json.Unmarshal(data, &out.JSON); err != nil {
		t.Fatalf("%s: body %q: %v", op, data, err)
	}
	return out, nil
}

// retryRaw repeats a call until it is not dropped.
func retryRaw(t *testing.T, url, op string, body []byte) *rawResponse {
	t.Helper()
	for i := 0; i < 200; i++ {
		if r, err := tryRaw(t, url, op, body); err == nil {
			return r
		}
	}
	t.Fatalf("%s dropped 200 times", op)
	return nil
}

func TestFaultDropsAll(t *testing.T) {
	tg := localTarget(t, localcc.Options{Faults: localcc.Faults{Drops: 1}})
	_, err := tg.cc.GetResource(context.Background(), &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::EC2::VPC"), Identifier: aws.String("vpc-12345678")})
	var ae smithy.APIError
	if err == nil || errors.As(err, &ae) {
		t.Fatalf("got %v, want a connection error", err)
	}
	if _, err := tryRaw(t, tg.local.URL(), "GetResource", []byte(getVPCBody)); err == nil {
		t.Fatal("a dropped call got an answer")
	}
	if n := tg.local.Metrics().Faults.Drops; n != 2 {
		t.Fatalf("Drops %d, want 2", n)
	}
}

// With half the connections dropped, some creates took effect although the
// client saw no answer; a retry with the same ClientToken finds the
// original request and creates nothing more.
func TestFaultDropsRetryIdempotent(t *testing.T) {
	tg := localTarget(t, localcc.Options{Faults: localcc.Faults{Drops: 0.5}, Seed: 21})
	url := tg.local.URL()
	const n = 40
	body := func(i int) []byte {
		return []byte(fmt.Sprintf(`{"TypeName":"AWS::Logs::LogGroup","DesiredState":"{\"LogGroupName\":\"drop-%d\"}","ClientToken":"ct-drop-%d"}`, i, i))
	}
	tokens := map[string]string{} // topic name → request token the client saw
	var dropped []int
	for i := 0; i < n; i++ {
		r, err := tryRaw(t, url, "CreateResource", body(i))
		if err != nil {
			dropped = append(dropped, i)
			continue
		}
		tokens[fmt.Sprintf("drop-%d", i)] = event(t, r)["RequestToken"].(string)
	}
	// What the endpoint holds, whatever the client saw.
	held := func() map[string]string {
		r := retryRaw(t, url, "ListResourceRequests", []byte(`{"MaxResults":100}`))
		out := map[string]string{}
		for _, s := range r.JSON["ResourceRequestStatusSummaries"].([]any) {
			ev := s.(map[string]any)
			name := ev["Identifier"].(string)
			if _, dup := out[name]; dup {
				t.Fatalf("two requests for %s", name)
			}
			out[name] = ev["RequestToken"].(string)
		}
		return out
	}
	before := held()
	tookEffect := 0
	for _, i := range dropped {
		if _, ok := before[fmt.Sprintf("drop-%d", i)]; ok {
			tookEffect++
		}
	}
	if len(dropped) == 0 || tookEffect == 0 || tookEffect == len(dropped) {
		t.Fatalf("%d of %d calls dropped, %d of them after taking effect; want some of each", len(dropped), n, tookEffect)
	}
	t.Logf("%d of %d creates dropped, %d of them after taking effect", len(dropped), n, tookEffect)
	for _, i := range dropped {
		name := fmt.Sprintf("drop-%d", i)
		ev := event(t, retryRaw(t, url, "CreateResource", body(i)))
		if orig, ok := before[name]; ok && ev["RequestToken"] != orig {
			t.Fatalf("retry of %s: request token %v, want the original %s", name, ev["RequestToken"], orig)
		}
		tokens[name] = ev["RequestToken"].(string)
	}
	after := held()
	if !reflect.DeepEqual(after, tokens) {
		t.Fatalf("endpoint holds %d requests %v, client saw %v", len(after), after, tokens)
	}
	tg.clock.Advance(time.Minute)
	count := 0
	for next := ""; ; {
		req := `{"TypeName":"AWS::Logs::LogGroup"}`
		if next != "" {
			req = fmt.Sprintf(`{"TypeName":"AWS::Logs::LogGroup","NextToken":%q}`, next)
		}
		r := retryRaw(t, url, "ListResources", []byte(req))
		for _, d := range r.JSON["ResourceDescriptions"].([]any) {
			if strings.HasPrefix(d.(map[string]any)["Identifier"].(string), "drop-") {
				count++
			}
		}
		next, _ = r.JSON["NextToken"].(string)
		if next == "" {
			break
		}
	}
	if count != n {
		t.Fatalf("%d log groups, want %d", count, n)
	}
	if m := tg.local.Metrics(); m.Faults.Drops < int64(len(dropped)) {
		t.Fatalf("Drops %d, at least %d dropped", m.Faults.Drops, len(dropped))
	}
}

func TestMetricsDetectionDelay(t *testing.T) {
	tg := localTarget(t, localcc.Options{})
	ev := tg.create(t, "AWS::Logs::LogGroup", map[string]any{"LogGroupName": "m"}, "")
	tg.clock.Advance(3 * time.Second)
	if st := tg.status(t, aws.ToString(ev.RequestToken)); st.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("status %s", st.OperationStatus)
	}
	tg.status(t, aws.ToString(ev.RequestToken)) // a second look is not a second detection
	m := tg.local.Metrics()
	if m.Detected != 1 || m.DetectionP50 != 2 || m.DetectionMax != 2 || m.DetectionMean != 2 || m.Finished != 1 {
		t.Fatalf("metrics %+v", m)
	}
	if m.Calls["CreateResource"] != 1 || m.Calls["GetResourceRequestStatus"] != 2 || m.TotalCalls != 3 {
		t.Fatalf("calls %v total %d", m.Calls, m.TotalCalls)
	}

	page := func(method string) localcc.Metrics {
		req, err := http.NewRequest(method, tg.local.URL()+"/_athanor/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got localcc.Metrics
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&got) != nil {
			t.Fatalf("%s /_athanor/metrics: %d", method, resp.StatusCode)
		}
		return got
	}
	if got := page(http.MethodGet); !reflect.DeepEqual(got, m) {
		t.Fatalf("page %+v, Metrics() %+v", got, m)
	}
	reset := page(http.MethodDelete)
	if reset.TotalCalls != 0 || reset.Detected != 0 || reset.Finished != 0 || len(reset.Calls) != 0 {
		t.Fatalf("after DELETE: %+v", reset)
	}
	if m := tg.local.Metrics(); m.TotalCalls != 0 || m.Detected != 0 || m.DetectionP50 != 0 {
		t.Fatalf("Metrics() after reset: %+v", m)
	}
}
