package localcc

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Range is a closed interval of durations; an operation's latency is drawn
// uniformly from it.
type Range struct {
	Min, Max time.Duration
}

// DefaultLatency is how long a mutation takes when nothing else is
// configured: short enough for interactive use, long enough that clients
// must really wait for completion.
var DefaultLatency = Range{Min: 50 * time.Millisecond, Max: 200 * time.Millisecond}

func (r Range) draw(rng *rand.Rand) time.Duration {
	if r.Max <= r.Min {
		return r.Min
	}
	return r.Min + time.Duration(rng.Int64N(int64(r.Max-r.Min)+1))
}

// ParseRange reads "3s..12s", "200ms" or "0".
func ParseRange(s string) (Range, error) {
	lo, hi, found := strings.Cut(s, "..")
	min, err := time.ParseDuration(strings.TrimSpace(lo))
	if err != nil {
		return Range{}, fmt.Errorf("latency %q: %w (write it as 3s..12s or 200ms)", s, err)
	}
	max := min
	if found {
		if max, err = time.ParseDuration(strings.TrimSpace(hi)); err != nil {
			return Range{}, fmt.Errorf("latency %q: %w (write it as 3s..12s or 200ms)", s, err)
		}
	}
	if min < 0 || max < min {
		return Range{}, fmt.Errorf("latency %q: the range must be non-negative and ordered, like 3s..12s", s)
	}
	return Range{Min: min, Max: max}, nil
}

// ParseLatency reads a flag value "AWS::EC2::FlowLog=3s..12s" or "*=1s" (all
// types). It returns the type name ("*" for the default) and the range.
func ParseLatency(s string) (string, Range, error) {
	typ, rng, ok := strings.Cut(s, "=")
	if !ok {
		r, err := ParseRange(s)
		return "*", r, err
	}
	typ = strings.TrimSpace(typ)
	if typ == "" {
		return "", Range{}, fmt.Errorf("latency %q: no type before '='; write AWS::EC2::FlowLog=3s..12s, or *=1s for every type", s)
	}
	r, err := ParseRange(rng)
	return typ, r, err
}
