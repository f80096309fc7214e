package localcc

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// cacheServer is an endpoint with a data file, one account of four VPCs
// and a second of latency per request.
func cacheServer(t *testing.T, lateCancel bool) (*Server, *ManualClock, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.json")
	clock := NewManualClock(snapshotStart)
	s, err := New(Options{
		Account: benchManagement, Org: &Organization{Accounts: 1, VPCs: 4}, Seed: 3, Clock: clock,
		Latency: map[string]Range{"*": {Min: time.Second, Max: time.Second}}, DataFile: path,
		Fixtures: []Fixture{bucketFixture()}, LateCancel: lateCancel,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clock, path
}

// savedRequest reads the data file and returns the request of token in it.
func savedRequest(t *testing.T, path, token string) *request {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var snap snapshot
	if err := decodeJSON(data, &snap); err != nil {
		t.Fatal(err)
	}
	for _, r := range snap.Requests {
		if r.Token == token {
			return r
		}
	}
	t.Fatalf("request %s is not in the data file", token)
	return nil
}

// A finished request saved once and then seen by a status call is saved
// again with the time it was seen, not as the first save encoded it.
func TestSaveCacheSeenAfterSave(t *testing.T) {
	s, clock, path := cacheServer(t, false)
	sp := s.defaultScope()
	vpc := s.ResourcesIn(sp, "AWS::EC2::VPC")[0].Identifier
	ev := eventOf(t, callIn(t, s, sp.Account, sp.Region, "CreateResource", map[string]any{
		"TypeName": flowLogType, "DesiredState": flowLogState(vpc, OrgBucket(OrgMember(0)), 0)}))
	token := ev["RequestToken"].(string)
	clock.Advance(time.Second)
	s.Settle()
	for range 2 { // the second save reuses the first's encoding
		if err := s.Save(); err != nil {
			t.Fatal(err)
		}
	}
	if r := savedRequest(t, path, token); r.Status != statusSuccess || !r.SeenAt.IsZero() {
		t.Fatalf("saved before a status call: status %s, seen at %s", r.Status, r.SeenAt)
	}
	clock.Advance(time.Minute)
	eventOf(t, callIn(t, s, sp.Account, sp.Region, "GetResourceRequestStatus", map[string]any{"RequestToken": token}))
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	if r := savedRequest(t, path, token); !r.SeenAt.Equal(clock.Now()) {
		t.Errorf("saved after a status call at %s: seen at %s", clock.Now(), r.SeenAt)
	}
}

// At each step of a run that creates, retags, cancels, deletes and polls,
// a save with the encodings kept from the saves before writes the same
// bytes as encoding the whole state afresh.
func TestSaveCacheSameBytes(t *testing.T) {
	for _, late := range []bool{false, true} {
		s, clock, _ := cacheServer(t, late)
		sp := s.defaultScope()
		call := func(op string, in map[string]any) map[string]any {
			return eventOf(t, callIn(t, s, sp.Account, sp.Region, op, in))
		}
		check := func(step string) {
			t.Helper()
			s.saveMu.Lock()
			defer s.saveMu.Unlock()
			snap := s.snapshot()
			got, err := s.encode(snap)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(snap)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("late cancel %v, %s: the save wrote\n%s\nencoded afresh:\n%s", late, step, got, want)
			}
		}
		check("empty")
		var tokens []any
		for i, vpc := range s.ResourcesIn(sp, "AWS::EC2::VPC") {
			ev := call("CreateResource", map[string]any{"TypeName": flowLogType, "DesiredState": flowLogState(vpc.Identifier, OrgBucket(OrgMember(0)), i)})
			tokens = append(tokens, ev["RequestToken"])
		}
		check("created")
		call("CancelResourceRequest", map[string]any{"RequestToken": tokens[0]})
		check("cancelled")
		clock.Advance(time.Second)
		s.Settle()
		check("finished")
		var ids []any
		for _, tok := range tokens {
			ev := call("GetResourceRequestStatus", map[string]any{"RequestToken": tok})
			if ev["OperationStatus"] == statusSuccess {
				ids = append(ids, ev["Identifier"])
			}
			check("seen")
		}
		for _, id := range ids {
			call("UpdateResource", map[string]any{"TypeName": flowLogType, "Identifier": id, "PatchDocument": tagPatch(9)})
		}
		check("retagging")
		clock.Advance(time.Second)
		s.Settle()
		check("retagged")
		for _, id := range ids {
			call("DeleteResource", map[string]any{"TypeName": flowLogType, "Identifier": id})
		}
		clock.Advance(time.Second)
		s.Settle()
		check("deleted")
	}
}
