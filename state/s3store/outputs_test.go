package s3store_test

import (
	"testing"

	"github.com/athanor-iac/athanor/state/statetest"
)

func TestOutputs(t *testing.T) {
	srv := fake(t)
	open := opener(stateURL(srv, "teams/net"))
	statetest.RunOutputs(t, open)
}
