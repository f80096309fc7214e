package cli

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/schema"
)

// The flag values of `athanor local` parse themselves (they implement
// pflag.Value), so that a bad value fails while flags are parsed, with
// cobra naming the flag: invalid argument "abc" for "--throttle" flag: ...

// latencyFlag collects repeated --latency values into localcc.Options.Latency.
type latencyFlag struct {
	m       map[string]localcc.Range
	schemas func() *schema.Registry
}

func (l *latencyFlag) Type() string { return "TYPE=MIN..MAX" }

func (l *latencyFlag) String() string {
	if l == nil || len(l.m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(l.m))
	for k := range l.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		r := l.m[k]
		parts[i] = fmt.Sprintf("%s=%s..%s", k, r.Min, r.Max)
	}
	return strings.Join(parts, ",")
}

func (l *latencyFlag) Set(s string) error {
	typ, r, err := localcc.ParseLatency(s)
	if err != nil {
		return fmt.Errorf("%w; expected TYPE=MIN..MAX or MIN..MAX, like AWS::EC2::FlowLog=3s..12s", err)
	}
	if typ != "*" && l.schemas != nil {
		if err := checkTypeName(l.schemas(), typ); err != nil {
			return err
		}
	}
	if l.m == nil {
		l.m = map[string]localcc.Range{}
	}
	l.m[typ] = r
	return nil
}

// throttleFlag is --throttle RPS[:BURST].
type throttleFlag struct {
	rps   float64
	burst int
}

func (t *throttleFlag) Type() string { return "RPS[:BURST]" }

func (t *throttleFlag) String() string {
	switch {
	case t == nil || t.rps == 0:
		return ""
	case t.burst == 0:
		return strconv.FormatFloat(t.rps, 'g', -1, 64)
	}
	return fmt.Sprintf("%g:%d", t.rps, t.burst)
}

func (t *throttleFlag) Set(s string) error {
	const form = "expected RPS[:BURST], a positive rate of calls per second and an optional whole burst size, like 10 or 10:20"
	rpsText, burstText, hasBurst := strings.Cut(s, ":")
	rps, err := strconv.ParseFloat(strings.TrimSpace(rpsText), 64)
	if err != nil || rps <= 0 {
		return errors.New(form)
	}
	burst := 0
	if hasBurst {
		burst, err = strconv.Atoi(strings.TrimSpace(burstText))
		if err != nil || burst <= 0 {
			return errors.New(form)
		}
	}
	t.rps, t.burst = rps, burst
	return nil
}

// rateFlag is a fraction in [0, 1], for --fail-server and --drop.
type rateFlag float64

func (r *rateFlag) Type() string   { return "RATE" }
func (r *rateFlag) String() string { return strconv.FormatFloat(float64(*r), 'g', -1, 64) }

func (r *rateFlag) Set(s string) error {
	v, err := parseRate(s)
	if err != nil {
		return err
	}
	*r = rateFlag(v)
	return nil
}

func parseRate(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 || v > 1 {
		return 0, errors.New("expected a RATE between 0 and 1, like 0.05 for 5% of calls")
	}
	return v, nil
}

// handlerFaultFlag is --fail-handlers RATE[:CODE].
type handlerFaultFlag struct {
	rate float64
	code string
}

func (h *handlerFaultFlag) Type() string { return "RATE[:CODE]" }

func (h *handlerFaultFlag) String() string {
	if h == nil || h.rate == 0 {
		return ""
	}
	if h.code == "" {
		return strconv.FormatFloat(h.rate, 'g', -1, 64)
	}
	return fmt.Sprintf("%g:%s", h.rate, h.code)
}

func (h *handlerFaultFlag) Set(s string) error {
	rateText, code, hasCode := strings.Cut(s, ":")
	v, err := parseRate(rateText)
	if err != nil {
		return fmt.Errorf("%w, optionally followed by :CODE, like 0.1:Throttling", err)
	}
	if hasCode {
		codes := types.HandlerErrorCode("").Values()
		names := make([]string, len(codes))
		known := false
		for i, c := range codes {
			names[i] = string(c)
			known = known || string(c) == code
		}
		if !known {
			msg := fmt.Sprintf("handler error code %q is not one of %s", code, strings.Join(names, ", "))
			if sug := schema.Suggest(code, names); sug != "" {
				msg += fmt.Sprintf("; did you mean %q?", sug)
			}
			return errors.New(msg)
		}
	}
	h.rate, h.code = v, code
	return nil
}

// credentialsFlag is --credentials KEY:SECRET.
type credentialsFlag struct{ creds *localcc.Credentials }

func (c *credentialsFlag) Type() string { return "KEY:SECRET" }

func (c *credentialsFlag) String() string {
	if c == nil || c.creds == nil {
		return ""
	}
	return c.creds.AccessKeyID + ":****" // never echo the secret
}

func (c *credentialsFlag) Set(s string) error {
	key, secret, ok := strings.Cut(s, ":")
	if !ok || key == "" || secret == "" {
		return errors.New("expected KEY:SECRET, an access key ID and secret access key, like AKIDEXAMPLE:secret")
	}
	c.creds = &localcc.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	return nil
}

// checkLoopback refuses an address that other machines could reach. The
// local endpoint accepts any signature unless --credentials is set, so
// listening beyond loopback would let anyone on the network change its
// resources; --allow-remote says the user means it.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageErrorf("--addr %q: %v; expected HOST:PORT, like 127.0.0.1:4566", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	where := host
	if host == "" {
		where = "every interface"
	}
	return usageErrorf("--addr %s listens on %s, which is not a loopback address; the local endpoint has no real authentication (see --credentials), so pass --allow-remote to listen there anyway", addr, where)
}

// checkTypeName reports an unknown resource type with a suggestion.
func checkTypeName(reg *schema.Registry, name string) error {
	if _, err := reg.Lookup(name); err != nil {
		if errors.Is(err, schema.ErrTypeNotFound) {
			return unknownTypeError(reg, name)
		}
		return fmt.Errorf("looking up %s: %w", name, err)
	}
	return nil
}

// unknownTypeError is the message for a type with no schema, shared by every
// command that takes a type name.
func unknownTypeError(reg *schema.Registry, name string) error {
	if sug := schema.Suggest(name, reg.TypeNames()); sug != "" {
		return fmt.Errorf("unknown type %q; did you mean %q?", name, sug)
	}
	return fmt.Errorf("unknown type %q; list types with athanor schema --list", name)
}

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

var regionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$`)

// scopeThrottleFlag collects repeated --throttle-scope
// ACCOUNT/REGION=RPS[:BURST] values.
type scopeThrottleFlag struct {
	m map[localcc.Scope]localcc.Throttle
}

func (f *scopeThrottleFlag) Type() string { return "ACCOUNT/REGION=RPS[:BURST]" }

func (f *scopeThrottleFlag) String() string {
	if f == nil || len(f.m) == 0 {
		return ""
	}
	parts := make([]string, 0, len(f.m))
	for sp, t := range f.m {
		tf := throttleFlag{rps: t.RPS, burst: t.Burst}
		parts = append(parts, sp.String()+"="+tf.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (f *scopeThrottleFlag) Set(s string) error {
	const form = "expected ACCOUNT/REGION=RPS[:BURST], like 222222222222/eu-west-1=5:10"
	scopeText, rate, ok := strings.Cut(s, "=")
	sp, valid := localcc.ParseScope(strings.TrimSpace(scopeText))
	if !ok || !valid {
		return errors.New(form)
	}
	var t throttleFlag
	if err := t.Set(rate); err != nil {
		return fmt.Errorf("%w (%s)", err, form)
	}
	if f.m == nil {
		f.m = map[localcc.Scope]localcc.Throttle{}
	}
	f.m[sp] = localcc.Throttle{RPS: t.rps, Burst: t.burst}
	return nil
}

// orgFlag is --org: a generated organisation, as localcc.ParseOrganization
// reads it.
type orgFlag struct{ org *localcc.Organization }

func (f *orgFlag) Type() string { return "accounts=N,regions=R1+R2,vpcs=N,covered=F" }

func (f *orgFlag) String() string {
	if f == nil || f.org == nil {
		return ""
	}
	s := fmt.Sprintf("accounts=%d,regions=%s,vpcs=%d,covered=%g", f.org.Accounts, strings.Join(f.org.Regions, "+"), f.org.VPCs, f.org.Covered)
	if f.org.Suspended > 0 {
		s += fmt.Sprintf(",suspended=%d", f.org.Suspended)
	}
	if f.org.Closing > 0 {
		s += fmt.Sprintf(",closing=%d", f.org.Closing)
	}
	return s
}

func (f *orgFlag) Set(s string) error {
	o, err := localcc.ParseOrganization(s)
	if err != nil {
		return err
	}
	f.org = &o
	return nil
}
