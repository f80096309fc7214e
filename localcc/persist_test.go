package localcc_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor/localcc"
)

func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	tmps, err := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tmps) > 0 {
		t.Fatalf("temporary files left: %v", tmps)
	}
}

func (tg *target) createRaw(t *testing.T, typeName, state, clientToken string) (*types.ProgressEvent, error) {
	t.Helper()
	out, err := tg.cc.CreateResource(context.Background(), &cloudcontrol.CreateResourceInput{TypeName: aws.String(typeName), DesiredState: aws.String(state), ClientToken: aws.String(clientToken)})
	if err != nil {
		return nil, err
	}
	return out.ProgressEvent, nil
}

func (tg *target) status(t *testing.T, token string) *types.ProgressEvent {
	t.Helper()
	out, err := tg.cc.GetResourceRequestStatus(context.Background(), &cloudcontrol.GetResourceRequestStatusInput{RequestToken: aws.String(token)})
	if err != nil {
		t.Fatalf("GetResourceRequestStatus %s: %v", token, err)
	}
	return out.ProgressEvent
}

func (tg *target) requestCount(t *testing.T) int {
	t.Helper()
	n := 0
	p := cloudcontrol.NewListResourceRequestsPaginator(tg.cc, &cloudcontrol.ListResourceRequestsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.ResourceRequestStatusSummaries)
	}
	return n
}

// Resources, requests and client tokens survive a restart, and a request in
// flight at Close completes afterwards.
func TestPersistRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "local.json")
	clock := localcc.NewManualClock(epochStart)
	opts := localcc.Options{DataFile: path, Clock: clock, Seed: 11, Latency: map[string]localcc.Range{"*": {Min: time.Second, Max: time.Second}}}

	tg := localTarget(t, opts)
	const lg = "AWS::Logs::LogGroup"
	kept, err := tg.createRaw(t, lg, `{"LogGroupName":"kept","RetentionInDays":14}`, "ct-kept")
	if err != nil {
		t.Fatal(err)
	}
	keptDone := tg.settle(t, kept)
	if keptDone.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("create: %s", keptDone.OperationStatus)
	}
	vpc := tg.createOK(t, "AWS::EC2::VPC", map[string]any{"CidrBlock": "10.30.0.0/16"})
	pending, err := tg.createRaw(t, lg, `{"LogGroupName":"pending"}`, "ct-pending")
	if err != nil {
		t.Fatal(err)
	}
	before := tg.requestCount(t)
	if err := tg.local.Close(); err != nil {
		t.Fatal(err)
	}
	noTempFiles(t, dir)

	tg = localTarget(t, opts)
	if m := tg.get(t, lg, "kept"); m["RetentionInDays"] != float64(14) || m["Arn"] != "arn:aws:logs:us-east-1:123456789012:log-group:kept:*" {
		t.Fatalf("after restart: %v", m)
	}
	if m := tg.get(t, "AWS::EC2::VPC", vpc); m["CidrBlock"] != "10.30.0.0/16" {
		t.Fatalf("VPC after restart: %v", m)
	}
	if ev := tg.status(t, aws.ToString(kept.RequestToken)); ev.OperationStatus != types.OperationStatusSuccess || aws.ToString(ev.Identifier) != "kept" {
		t.Fatalf("old request after restart: %s %q", ev.OperationStatus, aws.ToString(ev.Identifier))
	}
	if n := tg.requestCount(t); n != before {
		t.Fatalf("%d requests after restart, %d before", n, before)
	}

	// A retry with the same client token answers the original request.
	again, err := tg.createRaw(t, lg, `{"LogGroupName":"kept","RetentionInDays":14}`, "ct-kept")
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(again.RequestToken) != aws.ToString(kept.RequestToken) || again.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("retry after restart: token %s (%s), want %s", aws.ToString(again.RequestToken), again.OperationStatus, aws.ToString(kept.RequestToken))
	}
	_, err = tg.createRaw(t, lg, `{"LogGroupName":"other"}`, "ct-kept")
	var conflict *types.ClientTokenConflictException
	if !errors.As(err, &conflict) {
		t.Fatalf("reuse of a client token after restart: %v", err)
	}

	// The request that was in flight finishes on time.
	if ev := tg.status(t, aws.ToString(pending.RequestToken)); ev.OperationStatus != types.OperationStatusInProgress {
		t.Fatalf("in-flight request after restart: %s", ev.OperationStatus)
	}
	clock.Advance(time.Second)
	if ev := tg.status(t, aws.ToString(pending.RequestToken)); ev.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("in-flight request after its latency: %s %s", ev.OperationStatus, aws.ToString(ev.StatusMessage))
	}
	tg.get(t, lg, "pending")

	// The same seed after a restart must not hand out the tokens and IDs
	// it handed out before the restart.
	fresh, err := tg.createRaw(t, lg, `{"LogGroupName":"fresh"}`, "ct-fresh")
	if err != nil {
		t.Fatal(err)
	}
	for _, old := range []*types.ProgressEvent{kept, pending} {
		if aws.ToString(fresh.RequestToken) == aws.ToString(old.RequestToken) {
			t.Fatalf("request token %s handed out twice", aws.ToString(fresh.RequestToken))
		}
	}
	if ev := tg.status(t, aws.ToString(kept.RequestToken)); aws.ToString(ev.Identifier) != "kept" {
		t.Fatalf("old token now names %q", aws.ToString(ev.Identifier))
	}
	vpc2 := tg.createOK(t, "AWS::EC2::VPC", map[string]any{"CidrBlock": "10.31.0.0/16"})
	if vpc2 == vpc {
		t.Fatalf("VPC ID %s handed out twice", vpc)
	}

	if err := tg.local.Close(); err != nil {
		t.Fatal(err)
	}
	noTempFiles(t, dir)
	// And a third start still sees everything.
	tg = localTarget(t, opts)
	for _, id := range []string{"kept", "pending", "fresh"} {
		tg.get(t, lg, id)
	}
}

// A corrupted data file stops New with an error that says the file was left
// as it was, and it is byte for byte unchanged.
func TestPersistCorruptedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "local.json")
	opts := localcc.Options{DataFile: path, Clock: localcc.NewManualClock(epochStart), Seed: 5, Fixtures: localcc.SeedFixtures()}
	srv, err := localcc.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(good) < 100 {
		t.Fatalf("data file of %d bytes", len(good))
	}
	variants := map[string][]byte{
		"truncated":         good[:len(good)/2],
		"garbage":           []byte("\x00\x01not json at all\xff"),
		"empty":             {},
		"trailing garbage":  append(append([]byte{}, good...), []byte("}{")...),
		"null":              []byte("null"),
		"wrong member type": []byte(`{"version":1,"resources":"none"}`),
		"resource no type":  []byte(`{"version":1,"resources":[{"identifier":"x"}]}`),
		"request no token":  []byte(`{"version":1,"requests":[{"status":"SUCCESS"}]}`),
		"future version":    []byte(`{"version":99}`),
	}
	for name, data := range variants {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			srv, err := localcc.New(opts)
			if err == nil {
				srv.Close()
				t.Fatal("New accepted a corrupted data file")
			}
			if !strings.Contains(err.Error(), "left untouched") || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not say that %s was left untouched", err, path)
			}
			after, rerr := os.ReadFile(path)
			if rerr != nil || !bytes.Equal(after, data) {
				t.Fatalf("data file changed: %v", rerr)
			}
			noTempFiles(t, dir)
		})
	}
}

// Saves while requests come and go leave no temporary files behind, and a
// data file in a folder that does not exist yet is created.
func TestPersistNewFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	path := filepath.Join(dir, "local.json")
	tg := localTarget(t, localcc.Options{DataFile: path})
	for _, n := range []string{"x", "y", "z"} {
		tg.createOK(t, "AWS::Logs::LogGroup", map[string]any{"LogGroupName": n})
		if err := tg.local.Save(); err != nil {
			t.Fatal(err)
		}
	}
	if err := tg.local.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	noTempFiles(t, dir)
}

// Two endpoints on one data file would overwrite each other's resources:
// the second is refused while the first runs, and may start once it is
// closed.
func TestDataFileInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.json")
	first, err := localcc.New(localcc.Options{DataFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := localcc.New(localcc.Options{DataFile: path}); err == nil || !strings.Contains(err.Error(), "is in use by") {
		t.Fatalf("second endpoint on one data file: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	second, err := localcc.New(localcc.Options{DataFile: path})
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	second.Close()
}
