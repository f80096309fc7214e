package state_test

import (
	"testing"

	"github.com/athanor-iac/athanor/state/statetest"
)

func TestFileOutputs(t *testing.T) { statetest.RunOutputs(t, openFile(t.TempDir())) }
