// Package localcc is a local emulation of the AWS Cloud Control API: the
// endpoint behind `athanor local` and the `--local` flag of programs, and the
// API every test of this project runs against.
//
// It speaks Cloud Control's wire protocol (awsJson1_0 over HTTP), so official
// AWS clients work against it unchanged. Every type in the embedded
// CloudFormation schemas can be created, read, updated, listed and deleted;
// desired states are validated against the type's schema, read-only
// properties are generated in AWS's formats, and AWS::EC2::FlowLog follows
// EC2's own rules. Mutations are asynchronous, completing after a latency
// drawn from a configurable model, measured on a [Clock] that tests can
// control. Throttling, fault injection and metrics make it a test bench for
// clients under load.
package localcc

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/athanor-iac/athanor/internal/filelock"
	"github.com/athanor-iac/athanor/schema"
)

// Options configure a Server. The zero value is usable: region us-east-1,
// account 123456789012, the default latency, no throttle, no faults, memory
// only.
type Options struct {
	// Account is the account of every caller with plain (not assumed-role)
	// credentials whose access key is not itself a 12-digit account ID.
	// Region is where fixtures without a region live and calls that name
	// none land. Both appear in generated ARNs.
	Region  string
	Account string

	// Regions, when set, are the only regions calls may be signed for;
	// any other is refused, as AWS refuses a region that is not enabled.
	// Empty means every region.
	Regions []string

	// Clock drives request completion; nil means the real clock.
	Clock Clock

	// Latency maps a type name, or "*" for every other type, to how long
	// its mutations take. Unset types use DefaultLatency.
	Latency map[string]Range

	// ThrottleRPS, when positive, limits API calls to that many per second
	// in each account and region (token bucket of ThrottleBurst, default
	// 1 s worth), answering the rest with ThrottlingException as Cloud
	// Control does.
	ThrottleRPS   float64
	ThrottleBurst int

	// ScopeThrottle overrides ThrottleRPS and ThrottleBurst for some
	// accounts and regions, so that a test can throttle one scope alone.
	ScopeThrottle map[Scope]Throttle

	// Faults injects errors for testing clients.
	Faults Faults

	// Credentials, when set, makes the endpoint check SigV4 signatures
	// against this key pair. Otherwise any well-formed signature passes.
	Credentials *Credentials

	// DataFile, when set, keeps resources, requests and tokens across
	// restarts.
	DataFile string

	// Fixtures are resources that exist before any program runs.
	Fixtures []Fixture

	// Org, when set, adds a generated organisation's accounts, roles, VPCs
	// and flow logs to Fixtures, with Account as its management account.
	// It is the same for the same Seed (0 included) whatever else varies.
	Org *Organization

	// Seed makes generated identifiers and latencies repeatable; 0 picks a
	// random seed.
	Seed uint64

	// FlowLogsPerResource is EC2's quota of flow logs per VPC, subnet or
	// network interface; 0 means 2, the AWS default.
	FlowLogsPerResource int

	// ListPageSize is how many resources a ListResources page holds; 0
	// means 100 (500 for AWS::EC2::FlowLog, whose handler pages EC2 by 500).
	ListPageSize int

	// LateCancel makes cancellations arrive too late to stop a handler:
	// the request still ends CANCEL_COMPLETE, but its work is done (a
	// create has created the resource). Clients must not take a cancelled
	// request to have changed nothing.
	LateCancel bool

	// RetryAfter, when positive, makes the events of unfinished requests
	// carry RetryAfter that far ahead, to test that clients honour it.
	RetryAfter time.Duration

	// Logger receives one line per API call at debug level; nil discards.
	Logger *slog.Logger
}

// Faults are rates in [0, 1] of injected failures.
type Faults struct {
	// ServerErrors answers that fraction of API calls with HTTP 500
	// InternalFailure, before doing anything.
	ServerErrors float64
	// HandlerFailures ends that fraction of mutations FAILED with
	// HandlerCode (default ServiceInternalError), changing nothing.
	HandlerFailures float64
	HandlerCode     string
	// Drops closes that fraction of connections without an answer; half of
	// them after the call took effect, as when a response is lost.
	Drops float64
}

// Credentials is an access key pair for signature checks.
type Credentials struct {
	AccessKeyID, SecretAccessKey string
}

// Server is a local Cloud Control endpoint. It is an http.Handler; [Start]
// also listens on a loopback port. All methods are safe for concurrent use.
type Server struct {
	opts    Options
	clock   Clock
	schemas *schema.Registry
	log     *slog.Logger

	limitMu  sync.Mutex
	limiters map[Scope]*rate.Limiter // nil entries: not throttled

	mu        sync.Mutex
	rng       *rand.Rand
	resources map[Scope]map[string]map[string]*resource // scope → type → identifier → resource
	sessions  map[string]*session                       // assumed-role credentials by access key ID
	requests  map[string]*request                       // by request token
	tokens    map[string]string                         // client token → request token
	inflight  map[string]string                         // type|identifier → request token
	due       dueQueue                                  // non-terminal requests by completion time
	seq       uint64
	ec2Calls  []EC2Call
	metrics   metrics
	oldest    time.Time // EventTime of the oldest request kept
	revs      uint64    // the last request revision handed out (see request.rev)

	saveMu   sync.Mutex                // serialises data file writes
	encoded  map[string]encodedRequest // finished requests' encodings by token, under saveMu
	lastSave atomic.Int64              // how long the last save took to encode and write, in ns
	saveKick chan struct{}
	done     chan struct{}
	bg       sync.WaitGroup

	httpSrv  *http.Server
	fresh    freshConns // connections that have not sent a request yet
	ln       net.Listener
	closed   bool
	dataLock *filelock.Lock // held while DataFile is ours
}

// New builds a Server, loading its data file if there is one and seeding
// fixtures for resources that do not exist yet.
func New(opts Options) (*Server, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "123456789012"
	}
	if opts.FlowLogsPerResource == 0 {
		opts.FlowLogsPerResource = 2
	}
	if opts.Faults.HandlerCode == "" {
		opts.Faults.HandlerCode = "ServiceInternalError"
	}
	seed := opts.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	s := &Server{
		opts:      opts,
		clock:     opts.Clock,
		schemas:   schema.Default(),
		log:       opts.Logger,
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		resources: map[Scope]map[string]map[string]*resource{},
		sessions:  map[string]*session{},
		limiters:  map[Scope]*rate.Limiter{},
		requests:  map[string]*request{},
		tokens:    map[string]string{},
		inflight:  map[string]string{},
		saveKick:  make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.metrics.init()
	if opts.DataFile != "" {
		// Two endpoints on one data file would each save over the other's
		// resources: the second is refused while the first runs.
		u, err := filelock.Acquire(opts.DataFile+".lock", holder())
		var held *filelock.HeldError
		if errors.As(err, &held) {
			who := strings.TrimSpace(string(held.Content))
			if who == "" {
				who = "another process"
			}
			return nil, fmt.Errorf("the local endpoint's data file %s is in use by %s; run one endpoint per data file: run programs with --local one at a time, or start `athanor local --data %s` and point them at it with --endpoint", opts.DataFile, who, opts.DataFile)
		}
		if err != nil {
			return nil, err
		}
		s.dataLock = u
		if err := s.load(opts.DataFile); err != nil {
			u.Unlock()
			return nil, err
		}
	}
	fixtures := opts.Fixtures
	if opts.Org != nil {
		regions := opts.Regions
		if len(regions) == 0 {
			regions = []string{opts.Region}
		}
		fixtures = append(append([]Fixture(nil), fixtures...), opts.Org.Fixtures(opts.Account, regions, opts.Seed)...)
	}
	if err := s.seedFixtures(fixtures); err != nil {
		if s.dataLock != nil {
			s.dataLock.Unlock()
		}
		return nil, err
	}
	if opts.DataFile != "" {
		s.bg.Add(1)
		go s.saver()
	}
	return s, nil
}

// Start builds a Server and serves it on addr (for example
// "127.0.0.1:0" for any free loopback port) until Close. It returns once
// the server accepts connections; URL gives its address.
func Start(opts Options, addr string) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := s.Listen(addr); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Listen serves the endpoint on addr in the background.
func (s *Server) Listen(addr string) error {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ConnState: s.fresh.track}
	// Shutdown waits for requests under way, and for connections that have
	// sent none yet for up to five seconds (a client's spare dial): those
	// are closed once the listener is, losing nothing.
	s.httpSrv.RegisterOnShutdown(s.fresh.closeAll)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	return nil
}

// URL is the endpoint's base URL, such as http://127.0.0.1:4566, for
// clients' endpoint overrides. It is empty until Listen.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops serving, waits for calls in progress and saves the data file.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	var errs []error
	if s.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	close(s.done)
	s.bg.Wait()
	if s.opts.DataFile != "" {
		if err := s.Save(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.dataLock != nil {
		if err := s.dataLock.Unlock(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Settle completes every request whose time has come. Each API call settles
// first, so callers rarely need this; tests that advance a ManualClock and
// then inspect the server directly do.
func (s *Server) Settle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle()
}

// latency draws how long an operation on typeName takes.
func (s *Server) latency(typeName string) time.Duration {
	r, ok := s.opts.Latency[typeName]
	if !ok {
		r, ok = s.opts.Latency["*"]
	}
	if !ok {
		r = DefaultLatency
	}
	return r.draw(s.rng)
}

// settle runs every due request's handler in completion order. Called with
// s.mu held.
func (s *Server) settle() {
	now := s.clock.Now()
	for s.due.Len() > 0 && !s.due[0].CompleteAt.After(now) {
		r := heap.Pop(&s.due).(*request)
		s.complete(r)
	}
	s.expire(now)
}

// dueQueue orders non-terminal requests by completion time, then by
// submission, so handlers run in a deterministic order.
type dueQueue []*request

func (q dueQueue) Len() int { return len(q) }
func (q dueQueue) Less(i, j int) bool {
	if !q[i].CompleteAt.Equal(q[j].CompleteAt) {
		return q[i].CompleteAt.Before(q[j].CompleteAt)
	}
	return q[i].Seq < q[j].Seq
}
func (q dueQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *dueQueue) Push(x any)   { *q = append(*q, x.(*request)) }
func (q *dueQueue) Pop() any {
	old := *q
	r := old[len(old)-1]
	*q = old[:len(old)-1]
	return r
}

// markDirty asks the saver to write the data file soon.
func (s *Server) markDirty() {
	select {
	case s.saveKick <- struct{}{}:
	default:
	}
}
