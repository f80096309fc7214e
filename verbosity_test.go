package athanor_test

import (
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// --verbose prints every API call with its request token and duration;
// --quiet prints only the summary.
func TestVerboseAndQuiet(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}, nil)
	code, out := e.run(prog, "--verbose")
	if code != 0 || !strings.Contains(out, "api CreateResource AWS::EC2::FlowLog request ") || !strings.Contains(out, "api GetResourceRequestStatus") {
		t.Fatalf("--verbose: exit %d\n%s", code, out)
	}
	code, out = e.run(prog, "--quiet", "destroy")
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "1 deleted") {
		t.Fatalf("--quiet: exit %d\n%s", code, out)
	}
}
