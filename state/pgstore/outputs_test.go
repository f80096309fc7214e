package pgstore_test

import (
	"testing"

	"github.com/athanor-iac/athanor/state/pgstore/pgtest"
	"github.com/athanor-iac/athanor/state/statetest"
)

func TestOutputs(t *testing.T) {
	statetest.RunOutputs(t, opener(pgtest.URL(t), pgtest.App("outputs")))
}
