package ec2_test

import (
	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
)

// FlowLog declares a flow log with typed properties and returns its
// outputs typed too: Id is the fl- ID AWS gave it. Mistakes EC2 would
// refuse (an S3 destination that is not an ARN, a LogGroupName with an S3
// destination, an unknown field in LogFormat) are all reported before
// anything is sent.
func ExampleFlowLog() {
	athanor.Run("network", func(app *athanor.App) error {
		fl, err := ec2.FlowLog(app, "vpcFlowLog", ec2.FlowLogProps{
			ResourceId:             "vpc-12345678",
			ResourceType:           "VPC",
			TrafficType:            "REJECT",
			LogDestinationType:     "s3",
			LogDestination:         "arn:aws:s3:::my-flow-logs/vpc/",
			MaxAggregationInterval: athanor.Int(60),
			Tags:                   []athanor.Tag{{Key: "team", Value: "network"}},
		})
		if err != nil {
			return err
		}
		app.Log("flow log %s", fl.Id)
		return nil
	})
}
