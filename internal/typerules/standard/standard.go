// Package standard registers the rules of every resource type that has
// special rules. Import it for its side effect:
//
//	import _ "github.com/athanor-iac/athanor/internal/typerules/standard"
//
// A new rule package is added to the imports below.
package standard

import (
	_ "github.com/athanor-iac/athanor/internal/typerules/flowlog" // AWS::EC2::FlowLog
)
