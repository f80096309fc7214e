package athanor

import (
	"encoding/json"

	"github.com/athanor-iac/athanor/internal/walk"
)

// Numbers reach a program as float64, whatever path the value took.
//
// A resource's properties come to the program from AWS (created, updated,
// or read by a refresh or a lookup this run), where they are decoded as
// encoding/json decodes into any: numbers are float64. They also come
// from the state store, for a resource the run leaves as it is, where
// records are decoded with json.Number (state.Record). Without this, a
// program type-switching on a number, such as RetentionInDays, would see
// float64 on the run that created the resource and json.Number on the
// next.
//
// float64, not json.Number, because it is what a Go program decoding JSON
// into any gets everywhere else here: the typed structs of the aws/
// packages decode their `any` and map fields that way, and [ReadOutputs]
// and [App.Output] give float64. json.Number would keep integers above
// 2^53 exact, but none reaches the program exactly anyway: the provider
// decodes what AWS says as float64 before state ever holds it.
//
// Only declarations need converting: lookups ([App.Get], [App.List]) read
// AWS every run, and outputs are stored as [App.Output] made them plain
// JSON and decoded without json.Number; program_values_test.go checks
// every path.

// programProperties returns props with every json.Number in it as a
// float64. The maps and slices on the way to a converted number are
// copied, so that the engine's record is left as it is; props without a
// json.Number (every resource created or read this run) are returned as
// they are.
func programProperties(props map[string]any) map[string]any {
	out, _ := walk.Map(props, func(v any) (any, bool) {
		n, ok := v.(json.Number)
		if !ok {
			return v, false
		}
		// The state's records are valid JSON, so the only error is a
		// number beyond float64's range, which becomes ±Inf: still a
		// float64, as the program expects.
		f, _ := n.Float64()
		return f, true
	})
	return out.(map[string]any)
}
