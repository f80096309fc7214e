package engine

import (
	"testing"

	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

func lookup(t *testing.T, typeName string) *schema.Schema {
	t.Helper()
	sc, err := schema.Default().Lookup(typeName)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// A declared property a read leaves out is drift unless the schema marks
// it write-only or it is empty: no property is excused for not being
// echoed (a flow log's DeliverCrossAccountRole is neither).
func TestDriftOfPropertiesAReadLeavesOut(t *testing.T) {
	flowLog := lookup(t, "AWS::EC2::FlowLog")
	bucket := lookup(t, "AWS::S3::Bucket")
	role := "arn:aws:iam::210987654321:role/Cross"
	for _, tc := range []struct {
		name       string
		sc         *schema.Schema
		props      map[string]any
		live       map[string]any
		wantDrift  []string
		wantProps  map[string]any
		applyProps bool
	}{
		{"not echoed is drift", flowLog,
			map[string]any{"ResourceId": "vpc-1", "DeliverCrossAccountRole": role},
			map[string]any{"ResourceId": "vpc-1"},
			[]string{"DeliverCrossAccountRole"}, map[string]any{"ResourceId": "vpc-1"}, true},
		{"echoed is no drift", flowLog,
			map[string]any{"ResourceId": "vpc-1", "DeliverCrossAccountRole": role},
			map[string]any{"ResourceId": "vpc-1", "DeliverCrossAccountRole": role},
			nil, nil, false},
		{"write-only is kept", bucket,
			map[string]any{"BucketName": "b", "AccessControl": "Private", "Tags": []any{map[string]any{"Key": "a", "Value": "b"}}},
			map[string]any{"BucketName": "b"},
			[]string{"Tags"}, map[string]any{"BucketName": "b", "AccessControl": "Private"}, true},
		{"empty list left out", flowLog,
			map[string]any{"ResourceId": "vpc-1", "Tags": []any{}},
			map[string]any{"ResourceId": "vpc-1"},
			nil, nil, false},
		{"no schema: empty rule only", nil,
			map[string]any{"A": map[string]any{}, "B": "x"},
			map[string]any{},
			[]string{"B"}, map[string]any{"A": map[string]any{}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &state.Record{Props: tc.props, Outputs: tc.live}
			var names []string
			for _, d := range driftOf(tc.sc, rec, tc.live) {
				names = append(names, d.Name)
			}
			if !equal(names, tc.wantDrift) {
				t.Errorf("drift %v, want %v", names, tc.wantDrift)
			}
			if tc.applyProps {
				if got := refreshedProps(tc.sc, rec, tc.live); !equal(got, tc.wantProps) {
					t.Errorf("refreshed props %v, want %v", got, tc.wantProps)
				}
			}
		})
	}
}

// An imported flow log AWS reports without a declared, createOnly
// property is replaced to set it; a write-only one is taken as declared.
func TestImportedBeforeTakesOnlyWhatReadsCannotReturn(t *testing.T) {
	flowLog := lookup(t, "AWS::EC2::FlowLog")
	role := "arn:aws:iam::210987654321:role/Cross"
	desired := map[string]any{"ResourceId": "vpc-1", "DeliverCrossAccountRole": role}
	c := diff(flowLog, &state.Record{Identifier: "fl-1", Outputs: map[string]any{"Id": "fl-1", "ResourceId": "vpc-1"}}, desired)
	if c.Action != Replace || c.Reason != "DeliverCrossAccountRole forces replacement" {
		t.Errorf("unreported DeliverCrossAccountRole: %s (%s), want replace", c.Action, c.Reason)
	}
	c = diff(flowLog, &state.Record{Identifier: "fl-1", Outputs: map[string]any{"Id": "fl-1", "ResourceId": "vpc-1", "DeliverCrossAccountRole": role}}, desired)
	if c.Action != NoOp {
		t.Errorf("reported DeliverCrossAccountRole: %s %v, want no-op", c.Action, c.Diffs)
	}

	bucket := lookup(t, "AWS::S3::Bucket")
	c = diff(bucket, &state.Record{Identifier: "b", Outputs: map[string]any{"BucketName": "b"}}, map[string]any{"BucketName": "b", "AccessControl": "Private"})
	if c.Action != NoOp {
		t.Errorf("write-only AccessControl: %s %v, want no-op", c.Action, c.Diffs)
	}
}
