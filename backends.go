package athanor

// The shared state backends register their URL schemes from init, so that
// `--state s3://bucket/prefix` and `--state postgres://...` (or ATHANOR_STATE)
// work in every program without further imports.
import (
	_ "github.com/athanor-iac/athanor/state/pgstore"
	_ "github.com/athanor-iac/athanor/state/s3store"
)
