package localcc

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// metrics counts what clients did, for benchmarks and tests: calls per
// account, region and operation, the calls served and throttled per
// caller, throttled calls, injected faults, and for
// every finished request how long it took a client to notice (from
// completion to the first GetResourceRequestStatus that reported it).
// Calls refused before their caller was known count under the zero Scope.
type metrics struct {
	mu        sync.Mutex
	calls     map[Scope]map[string]int64
	throttled map[Scope]int64
	served    map[callKey]int64 // by caller and operation
	held      map[callKey]int64 // throttled, by caller (Op "")
	delays    []time.Duration
	finished  atomic.Int64
	faults    struct{ server, drops, handler atomic.Int64 }
}

func (m *metrics) init() {
	m.calls = map[Scope]map[string]int64{}
	m.throttled = map[Scope]int64{}
	m.served = map[callKey]int64{}
	m.held = map[callKey]int64{}
}

// callKey is where a call landed and who made it, and what it was.
type callKey struct {
	Scope
	ARN, Op string
}

func (m *metrics) count(sp Scope, op string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls[sp] == nil {
		m.calls[sp] = map[string]int64{}
	}
	m.calls[sp][op]++
}

func (m *metrics) throttle(c caller) {
	m.mu.Lock()
	m.throttled[c.Scope]++
	m.held[callKey{Scope: c.Scope, ARN: c.ARN}]++
	m.mu.Unlock()
}

// serve counts a call that passed the throttle, under its caller.
func (m *metrics) serve(c caller, op string) {
	m.mu.Lock()
	m.served[callKey{Scope: c.Scope, ARN: c.ARN, Op: op}]++
	m.mu.Unlock()
}

func (m *metrics) seen(d time.Duration) {
	m.mu.Lock()
	m.delays = append(m.delays, d)
	m.mu.Unlock()
}

// Metrics is the JSON document served at /_athanor/metrics.
type Metrics struct {
	Calls         map[string]int64 `json:"calls"`
	TotalCalls    int64            `json:"totalCalls"`
	Throttled     int64            `json:"throttled"`
	Faults        FaultCounts      `json:"faults"`
	Finished      int64            `json:"finishedRequests"`
	Detected      int              `json:"detectedRequests"`
	DetectionP50  float64          `json:"detectionDelayP50Seconds"`
	DetectionP99  float64          `json:"detectionDelayP99Seconds"`
	DetectionMax  float64          `json:"detectionDelayMaxSeconds"`
	DetectionMean float64          `json:"detectionDelayMeanSeconds"`

	// Scopes breaks calls and throttling down by "ACCOUNT/REGION".
	Scopes map[string]ScopeMetrics `json:"scopes"`
}

// ScopeMetrics counts the calls of one account and region.
type ScopeMetrics struct {
	Calls      map[string]int64 `json:"calls"`
	TotalCalls int64            `json:"totalCalls"`
	Throttled  int64            `json:"throttled"`
	// Callers breaks the calls down by who made them: the ARN
	// GetCallerIdentity reports (an assumed role's session,
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, or an account's
	// root). It tells which role's credentials signed what.
	Callers map[string]CallerMetrics `json:"callers,omitempty"`
}

// CallerMetrics counts the calls of one caller in one account and region.
type CallerMetrics struct {
	// Served counts the calls the endpoint answered (not throttled), by
	// operation.
	Served map[string]int64 `json:"served"`
	// Throttled counts the caller's calls refused by the throttle of the
	// account and region, which every caller there shares.
	Throttled int64 `json:"throttled"`
}

// FaultCounts counts injected faults by kind.
type FaultCounts struct {
	ServerErrors    int64 `json:"serverErrors"`
	Drops           int64 `json:"drops"`
	HandlerFailures int64 `json:"handlerFailures"`
}

// Metrics returns a snapshot of the counters.
func (s *Server) Metrics() Metrics {
	m := &s.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	out := Metrics{
		Calls:    map[string]int64{},
		Scopes:   map[string]ScopeMetrics{},
		Finished: m.finished.Load(),
		Detected: len(m.delays),
		Faults: FaultCounts{
			ServerErrors:    m.faults.server.Load(),
			Drops:           m.faults.drops.Load(),
			HandlerFailures: m.faults.handler.Load(),
		},
	}
	for sp, calls := range m.calls {
		sm := out.Scopes[sp.String()]
		sm.Calls = map[string]int64{}
		for k, v := range calls {
			out.Calls[k] += v
			out.TotalCalls += v
			sm.Calls[k] = v
			sm.TotalCalls += v
		}
		if sp != (Scope{}) {
			out.Scopes[sp.String()] = sm
		}
	}
	caller := func(k callKey) CallerMetrics {
		sm := out.Scopes[k.Scope.String()]
		if sm.Callers == nil {
			sm.Callers = map[string]CallerMetrics{}
		}
		cm := sm.Callers[k.ARN]
		if cm.Served == nil {
			cm.Served = map[string]int64{}
		}
		sm.Callers[k.ARN] = cm
		out.Scopes[k.Scope.String()] = sm
		return cm
	}
	for k, n := range m.served {
		caller(k).Served[k.Op] += n
	}
	for k, n := range m.held {
		cm := caller(k)
		cm.Throttled += n
		out.Scopes[k.Scope.String()].Callers[k.ARN] = cm
	}
	for sp, n := range m.throttled {
		out.Throttled += n
		sm := out.Scopes[sp.String()]
		sm.Throttled = n
		out.Scopes[sp.String()] = sm
	}
	if n := len(m.delays); n > 0 {
		d := append([]time.Duration(nil), m.delays...)
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		var sum time.Duration
		for _, x := range d {
			sum += x
		}
		out.DetectionP50 = d[(n-1)*50/100].Seconds()
		out.DetectionP99 = d[(n-1)*99/100].Seconds()
		out.DetectionMax = d[n-1].Seconds()
		out.DetectionMean = (sum / time.Duration(n)).Seconds()
	}
	return out
}

// ResetMetrics zeroes the counters, so that a benchmark can measure one
// scenario at a time.
func (s *Server) ResetMetrics() {
	m := &s.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	m.delays = nil
	m.finished.Store(0)
	m.faults.server.Store(0)
	m.faults.drops.Store(0)
	m.faults.handler.Store(0)
}
