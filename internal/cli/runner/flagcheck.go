package runner

import (
	"fmt"
	"math"

	"github.com/athanor-iac/athanor/internal/cli/cmdutil"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
)

// usageErrors are every mistake found on a command line, reported at once
// so that one correction fixes them all.
type usageErrors = cmdutil.Mistakes

// checkRanges checks the numeric flags against the values they accept.
func (cfg *config) checkRanges() []error {
	var errs []error
	if cfg.parallelism < 1 {
		errs = append(errs, fmt.Errorf("--parallelism %d: must be 1 or more (default 10)", cfg.parallelism))
	}
	if !(cfg.maxRPS > 0) || math.IsInf(cfg.maxRPS, 0) {
		errs = append(errs, fmt.Errorf("--max-rps %g: must be a number above 0, such as 10 or 0.5 (default %d)", cfg.maxRPS, cloudcontrol.DefaultRequestsPerSecond))
	}
	if cfg.timeout < 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: must be 0 (each type's own timeout) or more, such as 30m", cfg.timeout))
	}
	return errs
}
