// Command fleet is the reliability suite's program. FLEET_COUNT sets how
// many flow logs it declares (default 50), FLEET_GENERATION their
// generation (default "a"; another value replaces them all) and FLEET_TAG
// an extra tag (a change updates them in place). Everything else is the
// command line of any Athanor program.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/reliability/internal/fleet"
)

func main() {
	n := 50
	if v := os.Getenv("FLEET_COUNT"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "FLEET_COUNT=%q: want a count\n", v)
			os.Exit(2)
		}
	}
	gen := os.Getenv("FLEET_GENERATION")
	if gen == "" {
		gen = "a"
	}
	athanor.Run(fleet.App, fleet.Program(n, gen, os.Getenv("FLEET_TAG")))
}
