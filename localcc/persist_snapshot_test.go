package localcc_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/localcc"
)

// callIn makes one Cloud Control call in process, signed (without checked
// credentials) as the root of account in region, and decodes its answer.
func callIn(tb testing.TB, srv *localcc.Server, account, region, op string, in any) map[string]any {
	tb.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		tb.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "CloudApiService."+op)
	req.Header.Set("X-Amz-Date", "20261124T120000Z")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/20261124/%s/cloudcontrolapi/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=%064d", account, region, 0))
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != http.StatusOK {
		tb.Fatalf("%s in %s/%s: status %d: %s", op, account, region, rec.Code, rec.Body.Bytes())
	}
	return out
}

// progress is the ProgressEvent of a mutation or status answer.
func progress(tb testing.TB, out map[string]any) map[string]any {
	tb.Helper()
	ev, ok := out["ProgressEvent"].(map[string]any)
	if !ok {
		tb.Fatalf("no ProgressEvent in %v", out)
	}
	return ev
}

// flowLogState is the desired state of a flow log on vpc delivering to
// bucket, tagged round=n.
func flowLogState(vpc, bucket string, n int) string {
	return fmt.Sprintf(`{"ResourceId":%q,"ResourceType":"VPC","TrafficType":"ALL","LogDestinationType":"s3","LogDestination":"arn:aws:s3:::%s","Tags":[{"Key":"round","Value":"%d"}]}`, vpc, bucket, n)
}

// tagPatch replaces a flow log's tags with round=n.
func tagPatch(n int) string {
	return fmt.Sprintf(`[{"op":"replace","path":"/Tags","value":[{"Key":"round","Value":"%d"}]}]`, n)
}

// The organisation of the bench's scenario g: the management account and
// 19 members, 4 regions, 12 VPCs in each account and region.
var (
	benchOrgRegions = []string{"us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"}
	benchOrg        = localcc.Organization{Accounts: 19, Regions: benchOrgRegions, VPCs: 12}
)

const benchManagement = "111111111111"

// orgAfterRun is an endpoint in the state scenario g leaves behind: a flow
// log on each of the organisation's 960 VPCs, each created and then
// retagged through the API (1,920 finished requests), saved to path.
func orgAfterRun(tb testing.TB, path string) *localcc.Server {
	tb.Helper()
	clock := localcc.NewManualClock(epochStart)
	logArchive := localcc.OrgMember(0)
	srv, err := localcc.New(localcc.Options{
		Account: benchManagement, Regions: benchOrgRegions, Org: &benchOrg, Seed: 9, Clock: clock,
		Latency: map[string]localcc.Range{"*": {Min: time.Second, Max: time.Second}}, DataFile: path,
		Fixtures: []localcc.Fixture{{Type: "AWS::S3::Bucket", Account: logArchive, Properties: map[string]any{"BucketName": localcc.OrgBucket(logArchive)}}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	accounts := []string{benchManagement}
	for i := range benchOrg.Accounts {
		accounts = append(accounts, localcc.OrgMember(i))
	}
	type made struct{ account, region, token string }
	var creates []made
	for _, acct := range accounts {
		for _, region := range benchOrgRegions {
			for _, vpc := range srv.ResourcesIn(localcc.Scope{Account: acct, Region: region}, "AWS::EC2::VPC") {
				ev := progress(tb, callIn(tb, srv, acct, region, "CreateResource", map[string]any{
					"TypeName": "AWS::EC2::FlowLog", "DesiredState": flowLogState(vpc.Identifier, localcc.OrgBucket(logArchive), 0)}))
				creates = append(creates, made{acct, region, ev["RequestToken"].(string)})
			}
		}
	}
	clock.Advance(time.Second)
	for _, c := range creates {
		ev := progress(tb, callIn(tb, srv, c.account, c.region, "GetResourceRequestStatus", map[string]any{"RequestToken": c.token}))
		if ev["OperationStatus"] != "SUCCESS" {
			tb.Fatalf("create: %v", ev)
		}
		callIn(tb, srv, c.account, c.region, "UpdateResource", map[string]any{
			"TypeName": "AWS::EC2::FlowLog", "Identifier": ev["Identifier"], "PatchDocument": tagPatch(1)})
	}
	clock.Advance(time.Second)
	srv.Settle()
	if err := srv.Save(); err != nil {
		tb.Fatal(err)
	}
	return srv
}

// BenchmarkSave is one save of the state scenario g leaves: snapshot,
// encode and an atomic, synced write.
//
//	go test ./localcc -run '^$' -bench 'Save' -benchtime 20x
func BenchmarkSave(b *testing.B) {
	path := filepath.Join(b.TempDir(), "data.json")
	srv := orgAfterRun(b, path)
	b.ResetTimer()
	for b.Loop() {
		if err := srv.Save(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size()), "file-bytes")
	}
}

// BenchmarkSaveStall measures what saves cost the API: while one goroutine
// saves the state scenario g leaves, back to back, each iteration takes the
// server's lock as every call does (Settle with nothing due). An iteration
// that waited more than 50 µs waited for a save, and a busy prober waits
// for all of each save's hold, so lock-ns/save (the sum of those waits over
// the saves made) is how long one save holds the lock; max-wait-ns is the
// longest a call waited.
//
//	go test ./localcc -run '^$' -bench 'SaveStall' -benchtime 2s
func BenchmarkSaveStall(b *testing.B) {
	srv := orgAfterRun(b, filepath.Join(b.TempDir(), "data.json"))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	saves := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := srv.Save(); err != nil {
				b.Error(err)
				return
			}
			saves++
		}
	}()
	var longest, waited time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		srv.Settle()
		d := time.Since(start)
		longest = max(longest, d)
		if d > 50*time.Microsecond {
			waited += d
		}
	}
	b.StopTimer()
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(longest.Nanoseconds()), "max-wait-ns")
	if saves > 0 {
		b.ReportMetric(float64(waited.Nanoseconds())/float64(saves), "lock-ns/save")
	}
	b.ReportMetric(float64(saves), "saves")
}
