package s3store_test

import (
	"testing"
	"time"

	"github.com/athanor-iac/athanor/state/s3store/s3test"
	"github.com/athanor-iac/athanor/state/statetest"
)

func TestOutputs(t *testing.T) {
	srv := s3test.Start(t)
	statetest.RunOutputs(t, opener(s3test.URL(srv.Endpoint, srv.Bucket(t), "teams/net", time.Minute)))
}
