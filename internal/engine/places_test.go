package engine

import "testing"

// What a record's ARNs tell of where its resource is: the ARNs AWS gave
// it (its identifier, its read-only properties), an account or region
// on which they disagree being unknown, and a global service's ARN
// telling the account alone.
func TestARNPlace(t *testing.T) {
	const roleType = "AWS::IAM::Role"
	for _, tc := range []struct {
		name, typeName, id string
		outputs            map[string]any
		want               place
	}{
		{"a log group's Arn", logGroupType, "g", map[string]any{"Arn": groupARN("111111111111", "g")}, place{"111111111111", "us-east-1", true}},
		{"an identifier that is an ARN", logGroupType, groupARN("111111111111", "g"), nil, place{"111111111111", "us-east-1", true}},
		{"ARNs of two accounts", logGroupType, groupARN("111111111111", "g"), map[string]any{"Arn": groupARN("222222222222", "g")}, place{"", "us-east-1", true}},
		{"a global service's ARN", roleType, "r", map[string]any{"Arn": "arn:aws:iam::111111111111:role/r"}, place{"111111111111", "", true}},
		{"no ARN", logGroupType, "g", map[string]any{"Arn": "not an ARN"}, place{}},
		{"a type without a schema", "Custom::Thing", "x", map[string]any{"Arn": groupARN("111111111111", "g")}, place{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := arnPlace(tc.typeName, tc.id, tc.outputs); got != tc.want {
				t.Fatalf("arnPlace = %+v; want %+v", got, tc.want)
			}
		})
	}
}
