package athanor

// Optional integers, numbers and booleans of the generated props structs
// (packages under aws/) are pointers, so that leaving one unset is not
// confused with 0 or false. These helpers make such pointers in a literal:
//
//	ec2.FlowLogProps{MaxAggregationInterval: athanor.Int(60)}

// Int returns a pointer to v.
func Int(v int) *int { return &v }

// Float returns a pointer to v.
func Float(v float64) *float64 { return &v }

// Bool returns a pointer to v.
func Bool(v bool) *bool { return &v }

// String returns a pointer to v, for the rare optional string that is a
// pointer (generated props use plain strings, where "" means unset).
func String(v string) *string { return &v }
