package runner

import (
	"fmt"
	"os"

	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/state"
)

// target is where a run keeps its state and sends its calls. Every plan
// names it on its first line: a run from another folder, another profile
// or another endpoint than intended shows at once, before anything is
// changed.
type target struct {
	// State is the state store: an absolute folder for the file store.
	State string `json:"state"`
	// Endpoint is the Cloud Control endpoint when one is set; empty for
	// AWS's own (then Region and Profile say which).
	Endpoint string `json:"endpoint,omitempty"`
	Local    bool   `json:"local,omitempty"`
	Region   string `json:"region,omitempty"`
	Profile  string `json:"profile,omitempty"`
	// Read is false when AWS was not read (plan --refresh=false).
	Read bool `json:"read"`
}

func newTarget(cfg config, prov *cloudcontrol.Provider) target {
	t := target{State: state.Redact(cfg.stateURL), Local: cfg.local, Read: prov != nil}
	if prov == nil {
		return t
	}
	t.Endpoint, t.Region = prov.Target()
	if t.Endpoint == "" {
		t.Profile = cfg.profile
		if t.Profile == "" {
			t.Profile = os.Getenv("AWS_PROFILE")
		}
	}
	return t
}

// calls says where the calls go, for people.
func (t target) calls() string {
	switch {
	case !t.Read:
		return "AWS not read (--refresh=false)"
	case t.Local:
		return "calls to the local endpoint " + t.Endpoint
	case t.Endpoint != "":
		return "calls to " + t.Endpoint
	case t.Profile != "":
		return fmt.Sprintf("calls to AWS in %s (profile %s)", t.Region, t.Profile)
	}
	return "calls to AWS in " + t.Region
}

// header is the first line of a plan.
func (t target) header(app, stage string) string {
	return fmt.Sprintf("Plan for %s, stage %s: state %s, %s", app, stage, t.State, t.calls())
}
