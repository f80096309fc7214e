package localcc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"
)

// snapshotStart is when the clocks of these tests start.
var snapshotStart = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// callIn makes one Cloud Control call in process, signed (without checked
// credentials) as the root of account in region, and decodes its answer.
func callIn(tb testing.TB, s *Server, account, region, op string, in any) map[string]any {
	tb.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		tb.Error(err)
		return nil
	}
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "CloudApiService."+op)
	req.Header.Set("X-Amz-Date", "20261124T120000Z")
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/20261124/%s/cloudcontrolapi/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=%064d", account, region, 0))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != http.StatusOK {
		tb.Errorf("%s in %s/%s: status %d: %s", op, account, region, rec.Code, rec.Body.Bytes())
		return nil
	}
	return out
}

// eventOf is the ProgressEvent of a mutation or status answer.
func eventOf(tb testing.TB, out map[string]any) map[string]any {
	tb.Helper()
	ev, ok := out["ProgressEvent"].(map[string]any)
	if !ok {
		tb.Errorf("no ProgressEvent in %v", out)
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

// bucketFixture is the central bucket of a generated organisation's flow
// logs, which the organisation's fixtures leave to the program to make.
func bucketFixture() Fixture {
	return Fixture{Type: "AWS::S3::Bucket", Account: OrgMember(0), Properties: map[string]any{"BucketName": OrgBucket(OrgMember(0))}}
}

// The organisation of the bench's scenario g: the management account and
// 19 members, 4 regions, 12 VPCs in each account and region.
var (
	benchOrgRegions = []string{"us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"}
	benchOrg        = Organization{Accounts: 19, Regions: benchOrgRegions, VPCs: 12}
)

const benchManagement = "111111111111"

// orgAfterRun is an endpoint in the state scenario g leaves behind: a flow
// log on each of the organisation's 960 VPCs, each created and then
// retagged through the API (1,920 finished requests), saved to path.
func orgAfterRun(tb testing.TB, path string) *Server {
	tb.Helper()
	clock := NewManualClock(snapshotStart)
	s, err := New(Options{
		Account: benchManagement, Regions: benchOrgRegions, Org: &benchOrg, Seed: 9, Clock: clock,
		Latency: map[string]Range{"*": {Min: time.Second, Max: time.Second}}, DataFile: path,
		Fixtures: []Fixture{bucketFixture()},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	type made struct{ account, region, token string }
	var creates []made
	for _, acct := range append([]string{benchManagement}, benchOrg.Members()...) {
		for _, region := range benchOrgRegions {
			for _, vpc := range s.ResourcesIn(Scope{Account: acct, Region: region}, "AWS::EC2::VPC") {
				ev := eventOf(tb, callIn(tb, s, acct, region, "CreateResource", map[string]any{
					"TypeName": flowLogType, "DesiredState": flowLogState(vpc.Identifier, OrgBucket(OrgMember(0)), 0)}))
				creates = append(creates, made{acct, region, ev["RequestToken"].(string)})
			}
		}
	}
	clock.Advance(time.Second)
	for _, c := range creates {
		ev := eventOf(tb, callIn(tb, s, c.account, c.region, "GetResourceRequestStatus", map[string]any{"RequestToken": c.token}))
		if ev["OperationStatus"] != statusSuccess {
			tb.Fatalf("create: %v", ev)
		}
		callIn(tb, s, c.account, c.region, "UpdateResource", map[string]any{
			"TypeName": flowLogType, "Identifier": ev["Identifier"], "PatchDocument": tagPatch(1)})
	}
	clock.Advance(time.Second)
	s.Settle()
	if err := s.Save(); err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchmarkSave is one save of the state scenario g leaves: the copy
// under the lock, the encoding and an atomic, synced write.
//
//	go test ./localcc -run '^$' -bench 'Save' -benchtime 20x
func BenchmarkSave(b *testing.B) {
	path := filepath.Join(b.TempDir(), "data.json")
	s := orgAfterRun(b, path)
	b.ResetTimer()
	for b.Loop() {
		if err := s.Save(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size()), "file-bytes")
	}
}

// BenchmarkSaveLocked is the part of a save of that state done with the
// server's lock held, during which every call waits.
func BenchmarkSaveLocked(b *testing.B) {
	s := orgAfterRun(b, filepath.Join(b.TempDir(), "data.json"))
	b.ResetTimer()
	for b.Loop() {
		s.snapshot()
	}
}

// Saves taken while calls create, retag and delete flow logs (the type
// whose handler changed stored models in place) each hold a state the
// endpoint was in, and the last one restarts the endpoint as it was. Run
// under the race detector, it also shows that encoding outside the lock
// reads nothing the calls write.
func TestPersistSaveDuringMutations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	clock := NewManualClock(snapshotStart)
	opts := Options{
		Account: benchManagement, Org: &Organization{Accounts: 1, VPCs: 12}, Seed: 5, Clock: clock,
		Latency: map[string]Range{"*": {Min: 100 * time.Millisecond, Max: 900 * time.Millisecond}}, DataFile: path,
		Fixtures: []Fixture{bucketFixture()},
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sp := s.defaultScope()
	var vpcs []string
	for _, v := range s.ResourcesIn(sp, "AWS::EC2::VPC") {
		vpcs = append(vpcs, v.Identifier)
	}
	const workers, rounds = 3, 4
	call := func(op string, in map[string]any) map[string]any {
		return eventOf(t, callIn(t, s, sp.Account, sp.Region, op, in))
	}
	// finish polls a request to its end, moving the clock on as it goes.
	finish := func(ev map[string]any) map[string]any {
		for ev != nil && !terminal(fmt.Sprint(ev["OperationStatus"])) {
			clock.Advance(100 * time.Millisecond)
			ev = call("GetResourceRequestStatus", map[string]any{"RequestToken": ev["RequestToken"]})
		}
		if ev == nil || ev["OperationStatus"] != statusSuccess {
			t.Errorf("request ended %v", ev)
			return nil
		}
		return ev
	}

	done := make(chan struct{})
	saved := make(chan int)
	go func() {
		n := 0
		defer func() { saved <- n }()
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := s.Save(); err != nil {
				t.Error(err)
				return
			}
			n++
			checkDataFile(t, path)
		}
	}()
	final := make([]map[string]string, workers) // flow log ID → its last tag
	var wg sync.WaitGroup
	for w := range workers {
		final[w] = map[string]string{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range rounds {
				for _, vpc := range vpcs[w*len(vpcs)/workers : (w+1)*len(vpcs)/workers] {
					ev := finish(call("CreateResource", map[string]any{"TypeName": flowLogType, "DesiredState": flowLogState(vpc, OrgBucket(OrgMember(0)), 2*round)}))
					if ev == nil {
						return
					}
					id := ev["Identifier"]
					if finish(call("UpdateResource", map[string]any{"TypeName": flowLogType, "Identifier": id, "PatchDocument": tagPatch(2*round + 1)})) == nil {
						return
					}
					if round == rounds-1 {
						final[w][id.(string)] = fmt.Sprint(2*round + 1)
						continue
					}
					if finish(call("DeleteResource", map[string]any{"TypeName": flowLogType, "Identifier": id})) == nil {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	if n := <-saved; n < 2 {
		t.Errorf("only %d saves while the calls ran", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	checkDataFile(t, path)

	s, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]string{}
	for _, f := range final {
		for id, tag := range f {
			want[id] = tag
		}
	}
	got := map[string]string{}
	for _, fl := range s.ResourcesIn(sp, flowLogType) {
		got[fl.Identifier] = fmt.Sprint(tagsOf(fl.Properties))
	}
	for id, tag := range want {
		if got[id] != fmt.Sprint([]Tag{{"round", tag}}) {
			t.Errorf("after a restart, flow log %s has tags %s, want round=%s", id, got[id], tag)
		}
	}
	if len(got) != len(want) {
		t.Errorf("after a restart, %d flow logs, want %d: %v", len(got), len(want), got)
	}
}

// checkDataFile reads the data file and checks that it holds a state the
// endpoint was in: no object newer than the file's sequence, and each flow
// log as the last successful request on it left it, whether it is there
// with that request's tags or gone after a delete.
func checkDataFile(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return
	}
	var snap snapshot
	if err := decodeJSON(data, &snap); err != nil || snap.Version != dataVersion {
		t.Errorf("data file does not decode: %v (version %d)", err, snap.Version)
		return
	}
	last := map[string]*request{} // flow log ID → last successful request on it
	for _, r := range snap.Requests {
		if r.Seq > snap.Seq {
			t.Errorf("request %s has sequence %d, the file %d", r.Token, r.Seq, snap.Seq)
		}
		if r.TypeName == flowLogType && r.Status == statusSuccess && (last[r.Identifier] == nil || last[r.Identifier].Seq < r.Seq) {
			last[r.Identifier] = r
		}
	}
	stored := map[string]*resource{}
	for _, res := range snap.Resources {
		if res.Seq > snap.Seq {
			t.Errorf("resource %s has sequence %d, the file %d", res.Identifier, res.Seq, snap.Seq)
		}
		if res.Type == flowLogType {
			stored[res.Identifier] = res
		}
	}
	ids := make([]string, 0, len(last))
	for id := range last {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r, res := last[id], stored[id]
		switch {
		case r.Operation == opDelete && res != nil:
			t.Errorf("data file: flow log %s is there after its delete %s succeeded", id, r.Token)
		case r.Operation != opDelete && res == nil:
			t.Errorf("data file: flow log %s is missing after its %s %s succeeded", id, r.Operation, r.Token)
		case r.Operation != opDelete && mustJSON(res.Model["Tags"]) != mustJSON(r.Desired["Tags"]):
			t.Errorf("data file: flow log %s has tags %s, its last successful %s %s set %s", id, mustJSON(res.Model["Tags"]), r.Operation, r.Token, mustJSON(r.Desired["Tags"]))
		}
		delete(stored, id)
	}
	for id := range stored {
		t.Errorf("data file: flow log %s with no successful create", id)
	}
}

// The saver waits 200 ms after a change, or five times the last save when
// that is longer, and each save records how long it took for the next
// wait.
func TestSaveDelay(t *testing.T) {
	for last, want := range map[time.Duration]time.Duration{
		0:                      200 * time.Millisecond,
		30 * time.Millisecond:  200 * time.Millisecond,
		40 * time.Millisecond:  200 * time.Millisecond,
		100 * time.Millisecond: 500 * time.Millisecond,
		2 * time.Second:        10 * time.Second,
	} {
		if got := saveDelay(last); got != want {
			t.Errorf("saveDelay(%s) = %s, want %s", last, got, want)
		}
	}
	s, err := New(Options{DataFile: filepath.Join(t.TempDir(), "data.json"), Fixtures: SeedFixtures()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	if s.lastSave.Load() <= 0 {
		t.Errorf("a save recorded %d ns for the saver's next wait", s.lastSave.Load())
	}
}
