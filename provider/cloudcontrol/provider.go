// Package cloudcontrol manages AWS resources through the AWS Cloud Control
// API with aws-sdk-go-v2: it submits creates, updates and deletes, waits for
// them to finish, and reads and lists resources.
//
// Waiting is its main job. Cloud Control answers a mutation at once with a
// request token; the work finishes seconds to minutes later. One Poller
// shares a request budget among every request in flight, polls soon after a
// request is likely to finish, honours RetryAfter, and never polls a request
// twice within its minimum gap. Requests that fail for a passing reason
// (throttling, service errors) are resubmitted; terminal failures are
// returned as *OperationError with everything a person needs to act.
package cloudcontrol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/athanor-iac/athanor/internal/secrets"
)

// API is the part of the SDK client the provider uses; *sdk.Client
// satisfies it.
type API interface {
	CreateResource(context.Context, *sdk.CreateResourceInput, ...func(*sdk.Options)) (*sdk.CreateResourceOutput, error)
	UpdateResource(context.Context, *sdk.UpdateResourceInput, ...func(*sdk.Options)) (*sdk.UpdateResourceOutput, error)
	DeleteResource(context.Context, *sdk.DeleteResourceInput, ...func(*sdk.Options)) (*sdk.DeleteResourceOutput, error)
	GetResource(context.Context, *sdk.GetResourceInput, ...func(*sdk.Options)) (*sdk.GetResourceOutput, error)
	ListResources(context.Context, *sdk.ListResourcesInput, ...func(*sdk.Options)) (*sdk.ListResourcesOutput, error)
	GetResourceRequestStatus(context.Context, *sdk.GetResourceRequestStatusInput, ...func(*sdk.Options)) (*sdk.GetResourceRequestStatusOutput, error)
	CancelResourceRequest(context.Context, *sdk.CancelResourceRequestInput, ...func(*sdk.Options)) (*sdk.CancelResourceRequestOutput, error)
	ListResourceRequests(context.Context, *sdk.ListResourceRequestsInput, ...func(*sdk.Options)) (*sdk.ListResourceRequestsOutput, error)
}

var _ API = (*sdk.Client)(nil)

// Options configure a Provider.
type Options struct {
	// Endpoint overrides the Cloud Control endpoint (the local endpoint's
	// URL, for example). Empty uses the SDK's resolution, which also reads
	// AWS_ENDPOINT_URL_CLOUDCONTROL and AWS_ENDPOINT_URL.
	Endpoint string
	// Region and Profile override the shared configuration's.
	Region, Profile string
	// RequestsPerSecond bounds the calls this provider makes; 0 means 40
	// (DefaultRequestsPerSecond).
	// The bound drops when the service throttles and recovers slowly, so
	// the provider settles just under the rate the service allows.
	RequestsPerSecond float64
	// PollMin is the earliest first status call after a submission (0:
	// 100 ms); PollGap and PollMax bound the gap between later ones (0:
	// 100 ms and 5 s); PollLag is the most a finished request younger than
	// 25 × PollLag is seen late (0: 500 ms). See the poller.
	PollMin, PollGap, PollMax, PollLag time.Duration
	// Resubmits is how often a request that failed for a passing reason is
	// submitted again; 0 means 5.
	Resubmits int
	// Observer, when set, hears of every API call (for --verbose).
	Observer func(Call)
	// Scheduler, when set, is a poll scheduler shared with other
	// providers (one per account and region of a run); nil gives the
	// provider its own.
	Scheduler *Scheduler
	// Role, when set, makes every call with credentials of this role,
	// assumed through STS from the configuration's own credentials and
	// refreshed before they expire.
	Role *AssumeRole
	// STSEndpoint overrides the STS endpoint (for Role and Account); empty
	// uses the SDK's resolution, which reads AWS_ENDPOINT_URL_STS.
	STSEndpoint string
	// Credentials, when set, sign every call instead of the
	// configuration's (Role then only names the role in messages): the
	// credentials of a role assumed once (RoleCredentials) and shared by
	// the providers of every region it is used in.
	Credentials aws.CredentialsProvider
	// RateLimit, when set, is a rate limit shared with other providers
	// (those of one account and region, reached through several roles);
	// nil gives the provider its own at RequestsPerSecond.
	RateLimit *RateLimit
	// Config, when set, is the AWS configuration to start from (Region,
	// when set, laid over it) instead of loading the shared configuration
	// again: a load costs milliseconds and 1.7 MB of allocations, and a
	// run over 80 accounts and regions builds a provider, and resolves
	// credentials, for each. It must come from LoadConfig with the same
	// Profile and Local.
	Config *aws.Config
	// Local says the endpoint is Athanor's local one: it needs no real
	// credentials, so fixed ones are used and the region defaults to
	// us-east-1 when none is configured.
	Local bool
}

// Call describes one API call, for logging.
type Call struct {
	Operation    string
	TypeName     string
	Identifier   string
	RequestToken string
	Duration     time.Duration
	Err          error

	scrub secrets.Scrubber // secret values sent with the call, kept out of Err
}

// Provider talks to Cloud Control. It is safe for concurrent use.
type Provider struct {
	api     API
	opts    Options
	limiter *adaptiveLimiter
	poller  *poller
	creds   aws.CredentialsProvider // nil over a given client
	sts     *sts.Client             // nil over a given client

	accountMu sync.Mutex
	account   string // from STS, once asked

	// endpoint and region are where New's client sends its calls, as the
	// SDK resolved them, for runs to show.
	endpoint, region string
}

// Target returns where the calls go: the endpoint when one is set (by
// Options.Endpoint or the SDK's AWS_ENDPOINT_URL settings; "" for AWS's
// own) and the region. Both are "" for a provider built by NewWithAPI.
func (p *Provider) Target() (endpoint, region string) { return p.endpoint, p.region }

// New builds a Provider from the default AWS configuration (credential
// chain, profiles, region) with the overrides in opts.
func New(ctx context.Context, opts Options) (*Provider, error) {
	cfg, err := loadConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	stsClient := sts.NewFromConfig(cfg, opts.stsOptions)
	switch {
	case opts.Credentials != nil:
		cfg.Credentials = opts.Credentials
		stsClient = sts.NewFromConfig(cfg, opts.stsOptions)
	case opts.Role != nil:
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, opts.Role.ARN, opts.Role.apply))
		stsClient = sts.NewFromConfig(cfg, opts.stsOptions)
	}
	if cfg.Credentials != nil {
		cfg.Credentials = markedCredentials{cfg.Credentials}
	}
	client := sdk.NewFromConfig(cfg, func(o *sdk.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
	})
	p := NewWithAPI(client, opts)
	p.creds = cfg.Credentials
	p.sts = stsClient
	p.endpoint, p.region = aws.ToString(client.Options().BaseEndpoint), client.Options().Region
	return p, nil
}

// loadConfig loads the default AWS configuration with opts' region,
// profile and retry policy.
func loadConfig(ctx context.Context, opts Options) (aws.Config, error) {
	if opts.Config != nil {
		cfg := opts.Config.Copy()
		if opts.Region != "" {
			cfg.Region = opts.Region
		}
		if cfg.Region == "" {
			return aws.Config{}, ErrNoRegion
		}
		return cfg, nil
	}
	var loads []func(*config.LoadOptions) error
	if opts.Region != "" {
		loads = append(loads, config.WithRegion(opts.Region))
	}
	if opts.Profile != "" {
		loads = append(loads, config.WithSharedConfigProfile(opts.Profile))
	}
	// The SDK retries throttling, 5xx and network errors with jittered
	// backoff. Its client-side retry quota is turned off: the provider has
	// its own adaptive limiter, and the quota fails calls outright when
	// empty ("retry quota exceeded") exactly when a large apply needs them.
	loads = append(loads, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 10
			o.MaxBackoff = 20 * time.Second
			o.RateLimiter = ratelimit.None
			// Throttling is the provider's to handle, under its limiter:
			// retried inside the SDK it would be invisible to the limiter
			// and end the operation after ten tries.
			o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
				if isThrottle(err) {
					return aws.FalseTernary
				}
				return aws.UnknownTernary
			})}, o.Retryables...)
		})
	}))
	if opts.Local {
		loads = append(loads, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("athanor-local", "athanor-local", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w (check --profile and AWS_PROFILE, or use --local for the embedded local endpoint)", err)
	}
	if cfg.Region == "" && opts.Local {
		cfg.Region = "us-east-1"
	}
	if cfg.Region == "" {
		return aws.Config{}, ErrNoRegion
	}
	return cfg, nil
}

// LoadConfig loads the AWS configuration a provider with opts would (its
// profile, region and retry policy), for providers to share
// (Options.Config).
func LoadConfig(ctx context.Context, opts Options) (aws.Config, error) {
	opts.Config = nil
	return loadConfig(ctx, opts)
}

// stsOptions points STS at opts.STSEndpoint. STS calls try three times,
// not the ten Cloud Control's do: a role that cannot be assumed or a
// region without STS should stop a run at once.
func (opts Options) stsOptions(o *sts.Options) {
	if opts.STSEndpoint != "" {
		o.BaseEndpoint = aws.String(opts.STSEndpoint)
	}
	o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 3)
}

// ErrNoRegion is returned by New when neither the options nor the AWS
// configuration name a region.
var ErrNoRegion = errors.New("no AWS region: pass --region, set AWS_REGION, or set a region in the AWS profile (or use --local for the embedded local endpoint)")

// NewWithAPI builds a Provider over an existing client.
func NewWithAPI(api API, opts Options) *Provider {
	if opts.RequestsPerSecond <= 0 {
		opts.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if opts.PollMin <= 0 {
		opts.PollMin = 100 * time.Millisecond
	}
	if opts.PollGap <= 0 {
		opts.PollGap = 100 * time.Millisecond
	}
	if opts.PollMax <= 0 {
		opts.PollMax = 5 * time.Second
	}
	if opts.PollLag <= 0 {
		opts.PollLag = 500 * time.Millisecond
	}
	if opts.Resubmits <= 0 {
		opts.Resubmits = 5
	}
	p := &Provider{api: api, opts: opts}
	if opts.RateLimit != nil {
		p.limiter = opts.RateLimit.a
	} else {
		p.limiter = newAdaptiveLimiter(opts.RequestsPerSecond)
	}
	if opts.Scheduler != nil {
		p.poller = opts.Scheduler.pl
	} else {
		p.poller = newPoller()
	}
	return p
}

// DefaultRequestsPerSecond is the provider's starting rate: above the 25
// per second at which Cloud Control is seen to throttle, so that the
// adaptive limiter finds the real rate from above.
const DefaultRequestsPerSecond = 40

// ErrNotFound is returned (wrapped) when a resource does not exist.
var ErrNotFound = errors.New("resource not found")

// OperationError is a request that ended FAILED (or was cancelled), or a
// call Cloud Control refused. It carries what a person needs to act.
type OperationError struct {
	Operation    string // CREATE, UPDATE, DELETE
	TypeName     string
	Identifier   string
	RequestToken string
	// Status is FAILED or CANCEL_COMPLETE for a request that ended so, ""
	// for a call that failed.
	Status types.OperationStatus
	// HandlerCode is the handler's error code of a FAILED request.
	HandlerCode HandlerErrorCode
	ErrorCode   string // for people: HandlerErrorCode, or the API exception's code
	Message     string
	Err         error // the SDK error for a refused call
}

func (e *OperationError) Error() string {
	msg := e.ErrorCode
	if e.Message != "" && msg != "" {
		msg += ": " + e.Message
	} else if e.Message != "" {
		msg = e.Message
	}
	if e.RequestToken != "" {
		msg += " (request token " + e.RequestToken + ")"
	}
	return msg
}

func (e *OperationError) Unwrap() error { return e.Err }

// Code returns the handler error code or exception code of err, or "", for
// messages and logs. Decide with the predicates (IsNotFound, Refused,
// HandlerCode, IsCancelled, IsRequestTokenNotFound), not with it.
func Code(err error) string {
	var oe *OperationError
	if errors.As(err, &oe) {
		return oe.ErrorCode
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// IsNotFound reports whether err says the resource does not exist.
func IsNotFound(err error) bool {
	var rnf *types.ResourceNotFoundException
	return errors.Is(err, ErrNotFound) || HandlerCode(err) == HandlerNotFound || errors.As(err, &rnf)
}

// isThrottle reports whether err is the service throttling the client.
func isThrottle(err error) bool {
	return retry.ThrottleErrorCode{Codes: retry.DefaultThrottleErrorCodes}.IsErrorThrottle(err) == aws.TrueTernary
}

// retriable handler error codes: the request changed nothing and may
// succeed when submitted again.
func retriable(code types.HandlerErrorCode) bool {
	switch code {
	case types.HandlerErrorCodeThrottling, types.HandlerErrorCodeServiceInternalError, types.HandlerErrorCodeNetworkFailure, types.HandlerErrorCodeInternalFailure, types.HandlerErrorCodeServiceTimeout:
		return true
	}
	return false
}

func (p *Provider) observe(c Call, start time.Time) {
	if p.opts.Observer != nil {
		c.Duration = time.Since(start)
		c.Err = c.scrub.Error(c.Err)
		p.opts.Observer(c)
	}
}

// call runs one API call under the rate limit, teaching the limiter when
// the service throttles.
func call[T any](ctx context.Context, p *Provider, c Call, fn func() (T, error)) (T, error) {
	var (
		zero, out T
		err       error
		start     time.Time
	)
	// A throttled call slows the limiter and is tried again, for as long as
	// the context allows: throttling says "later", never "no".
	for {
		if werr := p.limiter.wait(ctx); werr != nil {
			if err == nil {
				err = werr
			}
			return zero, err
		}
		start = time.Now()
		out, err = fn()
		if err == nil || !isThrottle(err) {
			break
		}
		p.limiter.throttled()
		c.Err = err
		p.observe(c, start)
	}
	if ev, ok := any(out).(*types.ProgressEvent); ok && ev != nil {
		c.RequestToken = aws.ToString(ev.RequestToken)
	}
	c.Err = err
	p.observe(c, start)
	return out, err
}

// Submitted is told the request token of a mutation as soon as Cloud
// Control answers, so the caller can record it before waiting. When a
// request that failed for a passing reason is submitted again, it is under
// a new client token: Submitted is told that token first, with an empty
// request token, before the request is sent, so that the caller records
// the intent before the action; an error then stops the resubmission.
// Errors returned for a request token are ignored.
type Submitted func(clientToken, requestToken string) error

// Create creates a resource and waits for it. It returns the primary
// identifier and the resource's properties as read after creation.
//
// Values marked secret (internal/secrets) are sent in plain text, and
// kept out of the errors returned and observed.
func (p *Provider) Create(ctx context.Context, typeName string, props map[string]any, clientToken string, submitted Submitted) (string, map[string]any, error) {
	scrub := scrubberOf(props)
	desired, err := json.Marshal(secrets.RevealProps(props))
	if err != nil {
		return "", nil, fmt.Errorf("encode desired state: %w", err)
	}
	id, model, err := p.create(ctx, typeName, desired, clientToken, submitted, scrub)
	return id, model, scrub.Error(scrubOperationError(err, scrub))
}

func (p *Provider) create(ctx context.Context, typeName string, desired []byte, clientToken string, submitted Submitted, scrub secrets.Scrubber) (string, map[string]any, error) {
	ev, err := p.mutate(ctx, Call{Operation: "CreateResource", TypeName: typeName, scrub: scrub}, clientToken, submitted, func(token string) (*types.ProgressEvent, error) {
		out, err := p.api.CreateResource(ctx, &sdk.CreateResourceInput{TypeName: aws.String(typeName), DesiredState: aws.String(string(desired)), ClientToken: aws.String(token)})
		if err != nil {
			return nil, err
		}
		return out.ProgressEvent, nil
	})
	if err != nil {
		return "", nil, err
	}
	return p.finish(ctx, typeName, ev)
}

// PatchOp is one RFC 6902 operation; paths are relative to the resource's
// properties ("/Tags").
type PatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// MarshalJSON writes "value" for every operation but remove, a null one
// included: with omitempty alone, setting a property to null gave an "add"
// without a value, which RFC 6902 makes invalid.
func (op PatchOp) MarshalJSON() ([]byte, error) {
	if op.Op == "remove" {
		return json.Marshal(struct {
			Op   string `json:"op"`
			Path string `json:"path"`
		}{op.Op, op.Path})
	}
	return json.Marshal(struct {
		Op    string `json:"op"`
		Path  string `json:"path"`
		Value any    `json:"value"`
	}{op.Op, op.Path, op.Value})
}

// Update applies a JSON Patch to a resource and waits for it. Secrets in
// the patch are treated as Create treats them.
func (p *Provider) Update(ctx context.Context, typeName, id string, patch []PatchOp, clientToken string, submitted Submitted) (map[string]any, error) {
	plains := map[string]bool{}
	revealed := make([]PatchOp, len(patch))
	for i, op := range patch {
		secrets.Plaintexts(op.Value, plains)
		revealed[i] = op
		revealed[i].Value = secrets.Reveal(op.Value)
	}
	scrub := secrets.NewScrubber(plains)
	doc, err := json.Marshal(revealed)
	if err != nil {
		return nil, fmt.Errorf("encode patch: %w", err)
	}
	model, err := p.update(ctx, typeName, id, doc, clientToken, submitted, scrub)
	return model, scrub.Error(scrubOperationError(err, scrub))
}

func (p *Provider) update(ctx context.Context, typeName, id string, doc []byte, clientToken string, submitted Submitted, scrub secrets.Scrubber) (map[string]any, error) {
	ev, err := p.mutate(ctx, Call{Operation: "UpdateResource", TypeName: typeName, Identifier: id, scrub: scrub}, clientToken, submitted, func(token string) (*types.ProgressEvent, error) {
		out, err := p.api.UpdateResource(ctx, &sdk.UpdateResourceInput{TypeName: aws.String(typeName), Identifier: aws.String(id), PatchDocument: aws.String(string(doc)), ClientToken: aws.String(token)})
		if err != nil {
			return nil, err
		}
		return out.ProgressEvent, nil
	})
	if err != nil {
		return nil, err
	}
	_, model, err := p.finish(ctx, typeName, ev)
	return model, err
}

// Delete deletes a resource and waits for it. A resource that is already
// gone counts as deleted.
func (p *Provider) Delete(ctx context.Context, typeName, id, clientToken string, submitted Submitted) error {
	_, err := p.mutate(ctx, Call{Operation: "DeleteResource", TypeName: typeName, Identifier: id}, clientToken, submitted, func(token string) (*types.ProgressEvent, error) {
		out, err := p.api.DeleteResource(ctx, &sdk.DeleteResourceInput{TypeName: aws.String(typeName), Identifier: aws.String(id), ClientToken: aws.String(token)})
		if err != nil {
			return nil, err
		}
		return out.ProgressEvent, nil
	})
	if err == nil || IsNotFound(err) {
		return nil
	}
	// Handlers should report a missing resource as NotFound (the handler
	// contract's delete-delete test), but some have used another code (a
	// 2022 copy of the FlowLog handler says GeneralServiceException); a
	// read settles it.
	if _, rerr := p.Read(ctx, typeName, id); IsNotFound(rerr) {
		return nil
	}
	return err
}

// Wait waits for a request submitted earlier (by a run that was
// interrupted, say) and returns its final event's identifier and model.
func (p *Provider) Wait(ctx context.Context, typeName, requestToken string) (string, map[string]any, error) {
	ev, err := p.wait(ctx, &types.ProgressEvent{RequestToken: aws.String(requestToken), TypeName: aws.String(typeName), OperationStatus: types.OperationStatusInProgress})
	if err != nil {
		return "", nil, err
	}
	if err := failure(ev); err != nil {
		return "", nil, err
	}
	if ev.Operation == types.OperationDelete {
		return aws.ToString(ev.Identifier), nil, nil
	}
	return p.finish(ctx, typeName, ev)
}

// mutate submits a mutation and waits for it, submitting again with a new
// client token when it failed for a passing reason. The client token of
// the first submission is the caller's, so a caller that crashed can find
// its request again.
func (p *Provider) mutate(ctx context.Context, c Call, clientToken string, submitted Submitted, submit func(token string) (*types.ProgressEvent, error)) (*types.ProgressEvent, error) {
	token := clientToken
	for attempt := 0; ; attempt++ {
		ev, err := call(ctx, p, c, func() (*types.ProgressEvent, error) { return submit(token) })
		if err != nil {
			oe := &OperationError{Operation: c.Operation, TypeName: c.TypeName, Identifier: c.Identifier, ErrorCode: Code(err), Message: p.describe(err), Err: err}
			if te := p.explain(err); te != nil {
				oe.ErrorCode, oe.Err = "", te
			}
			return nil, oe
		}
		if submitted != nil {
			_ = submitted(token, aws.ToString(ev.RequestToken))
		}
		ev, err = p.wait(ctx, ev)
		if err != nil {
			return nil, err
		}
		ferr := failure(ev)
		if ferr == nil {
			return ev, nil
		}
		if ev.OperationStatus != types.OperationStatusFailed || !retriable(ev.ErrorCode) || attempt >= p.opts.Resubmits {
			return nil, ferr
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return nil, err
		}
		token = NewClientToken()
		if submitted != nil {
			if err := submitted(token, ""); err != nil {
				return nil, fmt.Errorf("%w; not resubmitted: %v", ferr, err)
			}
		}
	}
}

// Refused reports whether err says that a mutation certainly changed
// nothing: its request ended FAILED or was cancelled, or Cloud Control
// refused the call itself with a client error (a 4xx other than
// throttling). After throttling, 5xx and network errors that outlasted the
// retries, a status poll that failed, a timeout or a cancelled context the
// outcome is unknown: the request may have been received and may still be
// running, so a caller must keep its intent and find the request again.
func Refused(err error) bool {
	var oe *OperationError
	if !errors.As(err, &oe) {
		return false
	}
	if oe.Err == nil {
		return true // a terminal event: FAILED or CANCEL_COMPLETE
	}
	var te *TargetError
	if errors.As(oe.Err, &te) && te.NotSent {
		return true
	}
	if oe.RequestToken != "" || isThrottle(oe.Err) {
		return false
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(oe.Err, &re) {
		return false
	}
	status := re.HTTPStatusCode()
	return status >= 400 && status < 500 && status != 429
}

func failure(ev *types.ProgressEvent) error {
	switch ev.OperationStatus {
	case types.OperationStatusSuccess:
		return nil
	case types.OperationStatusCancelComplete:
		return &OperationError{Operation: string(ev.Operation), TypeName: aws.ToString(ev.TypeName), Identifier: aws.ToString(ev.Identifier), RequestToken: aws.ToString(ev.RequestToken), Status: ev.OperationStatus, ErrorCode: "Cancelled", Message: "the request was cancelled"}
	}
	return &OperationError{Operation: string(ev.Operation), TypeName: aws.ToString(ev.TypeName), Identifier: aws.ToString(ev.Identifier), RequestToken: aws.ToString(ev.RequestToken), Status: ev.OperationStatus, HandlerCode: ev.ErrorCode, ErrorCode: string(ev.ErrorCode), Message: aws.ToString(ev.StatusMessage)}
}

// finish turns a SUCCESS event into an identifier and a model, reading the
// resource when the event carried no model.
func (p *Provider) finish(ctx context.Context, typeName string, ev *types.ProgressEvent) (string, map[string]any, error) {
	id := aws.ToString(ev.Identifier)
	if m := aws.ToString(ev.ResourceModel); m != "" {
		var model map[string]any
		if err := json.Unmarshal([]byte(m), &model); err == nil {
			return id, model, nil
		}
	}
	if id == "" {
		return "", nil, fmt.Errorf("request %s succeeded without an identifier", aws.ToString(ev.RequestToken))
	}
	model, err := p.Read(ctx, typeName, id)
	return id, model, err
}

// Read returns a resource's properties; the error wraps ErrNotFound when it
// does not exist.
func (p *Provider) Read(ctx context.Context, typeName, id string) (map[string]any, error) {
	out, err := call(ctx, p, Call{Operation: "GetResource", TypeName: typeName, Identifier: id}, func() (*sdk.GetResourceOutput, error) {
		return p.api.GetResource(ctx, &sdk.GetResourceInput{TypeName: aws.String(typeName), Identifier: aws.String(id)})
	})
	if err != nil {
		if IsNotFound(err) {
			return nil, fmt.Errorf("%s %s: %w", typeName, id, ErrNotFound)
		}
		if te := p.explain(err); te != nil {
			return nil, te
		}
		return nil, err
	}
	var model map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.ResourceDescription.Properties)), &model); err != nil {
		return nil, fmt.Errorf("decode properties of %s %s: %w", typeName, id, err)
	}
	return model, nil
}

// Described is one resource of a listing.
type Described struct {
	Identifier string
	Properties map[string]any
}

// List returns every resource of a type, following NextToken to the end.
func (p *Provider) List(ctx context.Context, typeName string) ([]Described, error) {
	return p.ListWhere(ctx, typeName, nil)
}

// ListWhere is List with a ResourceModel, which types whose list handler
// needs one (the API whose integrations are listed) require; nil sends
// none.
func (p *Provider) ListWhere(ctx context.Context, typeName string, resourceModel map[string]any) ([]Described, error) {
	var model *string
	if len(resourceModel) > 0 {
		b, err := json.Marshal(resourceModel)
		if err != nil {
			return nil, fmt.Errorf("encode the ResourceModel of a %s listing: %w", typeName, err)
		}
		model = aws.String(string(b))
	}
	var out []Described
	var next *string
	for {
		page, err := call(ctx, p, Call{Operation: "ListResources", TypeName: typeName}, func() (*sdk.ListResourcesOutput, error) {
			return p.api.ListResources(ctx, &sdk.ListResourcesInput{TypeName: aws.String(typeName), NextToken: next, ResourceModel: model})
		})
		if err != nil {
			if te := p.explain(err); te != nil {
				return nil, te
			}
			return nil, err
		}
		for _, d := range page.ResourceDescriptions {
			var m map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(d.Properties)), &m); err != nil {
				return nil, fmt.Errorf("decode properties of %s %s: %w", typeName, aws.ToString(d.Identifier), err)
			}
			out = append(out, Described{Identifier: aws.ToString(d.Identifier), Properties: m})
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		next = page.NextToken
	}
}

// Cancel asks Cloud Control to cancel a request in flight.
func (p *Provider) Cancel(ctx context.Context, requestToken string) error {
	_, err := call(ctx, p, Call{Operation: "CancelResourceRequest", RequestToken: requestToken}, func() (*sdk.CancelResourceRequestOutput, error) {
		return p.api.CancelResourceRequest(ctx, &sdk.CancelResourceRequestInput{RequestToken: aws.String(requestToken)})
	})
	return err
}

// scrubberOf scrubs the secret values of props.
func scrubberOf(props map[string]any) secrets.Scrubber {
	plains := map[string]bool{}
	secrets.Plaintexts(props, plains)
	return secrets.NewScrubber(plains)
}

// scrubOperationError scrubs the message of the OperationError in err, so
// that code that reads the message field (not only Error()) sees no
// secret; the wrapper Scrubber.Error puts around err covers the rest.
func scrubOperationError(err error, scrub secrets.Scrubber) error {
	var oe *OperationError
	if len(scrub) > 0 && errors.As(err, &oe) {
		oe.Message = scrub.String(oe.Message)
	}
	return err
}
