package localcc

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/athanor-iac/athanor/internal/localendpoint"
)

// Importing this package links the endpoint into a program, for its
// --local: the runner finds it through package localendpoint and never
// imports this package itself, so programs that do not use it stay small.
func init() { localendpoint.Register(startInDir) }

// startInDir starts the endpoint with the seed fixtures and a data file
// under dir, so that runs of a program see each other's resources.
func startInDir(dir string) (localendpoint.Endpoint, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	srv, err := Start(Options{DataFile: filepath.Join(dir, "data.json"), Fixtures: SeedFixtures()}, "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the local endpoint: %w", err)
	}
	return srv, nil
}

// Interface guards
var _ localendpoint.Endpoint = (*Server)(nil)
