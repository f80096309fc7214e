// Package fleet is the program the reliability suite runs: N flow logs, one
// on each of N VPCs, each delivering to its own log group.
package fleet

import (
	"fmt"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// App is the program's name, and so the state directory's.
const App = "fleet"

// Role is the delivery role every flow log uses.
const Role = "arn:aws:iam::123456789012:role/FlowLogsDeliveryRole"

// VpcID is the VPC flow log i watches: vpc-00000000000000001 and on.
func VpcID(i int) string { return fmt.Sprintf("vpc-%017d", i+1) }

// LogicalID is flow log i's logical ID.
func LogicalID(i int) string { return fmt.Sprintf("flowLog%03d", i) }

// Props are flow log i's properties in generation gen. Generations differ
// in LogGroupName, which is createOnly: moving to another generation
// replaces every flow log. tag changes only the tags (an update in place).
func Props(i int, gen, tag string) ec2.FlowLogProps {
	p := ec2.FlowLogProps{
		ResourceId:               VpcID(i),
		ResourceType:             "VPC",
		TrafficType:              "ALL",
		LogDestinationType:       "cloud-watch-logs",
		LogGroupName:             fmt.Sprintf("fleet-%s-%03d", gen, i),
		DeliverLogsPermissionArn: Role,
		Tags:                     []athanor.Tag{{Key: "Fleet", Value: "reliability"}},
	}
	if tag != "" {
		p.Tags = append(p.Tags, athanor.Tag{Key: "Round", Value: tag})
	}
	return p
}

// Program declares n flow logs of generation gen concurrently.
func Program(n int, gen, tag string) func(*athanor.App) error {
	return func(app *athanor.App) error {
		for i := 0; i < n; i++ {
			app.Go(func() error {
				_, err := ec2.FlowLog(app, LogicalID(i), Props(i, gen, tag))
				return err
			})
		}
		return nil
	}
}

// Fixtures are the n VPCs the flow logs watch.
func Fixtures(n int) []localcc.Fixture {
	out := make([]localcc.Fixture, n)
	for i := range out {
		out[i] = localcc.Fixture{Type: "AWS::EC2::VPC", Properties: map[string]any{
			"VpcId": VpcID(i), "CidrBlock": fmt.Sprintf("10.%d.%d.0/24", i/256, i%256),
		}}
	}
	return out
}
