// Command flowlogs declares the four VPC flow logs of Athanor's seed
// examples: a minimal flow log to CloudWatch Logs, an advanced S3 flow log
// with a custom format, a REJECT-only flow log on a network interface, and
// cross-account delivery to S3. Logical IDs, resource IDs and tags are the
// seed's; where the seed's values would be refused by AWS, the corrected
// value is used and a comment says why.
//
// Delivery to a bucket in another account takes no role: that bucket's
// policy lets the log delivery service write for this account, as
// examples/vpc-flow-logs declares it (logDeliveryPolicy).
//
//	go run ./examples/flowlogs --local          # against the embedded local endpoint
//	go run ./examples/flowlogs plan --local     # what would change
//	go run ./examples/flowlogs destroy --local  # delete them again
package main

import (
	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	_ "github.com/athanor-iac/athanor/localcc" // --local: the embedded local endpoint; drop to leave it out of the binary
)

// account is the AWS account of the seed's ARNs.
const account = "123456789012"

func main() {
	athanor.Run("flowlogs", program)
}

// program declares the flow logs; they are independent, so they are
// created concurrently.
func program(app *athanor.App) error {
	decl := func(id string, p ec2.FlowLogProps) {
		app.Go(func() error {
			fl, err := ec2.FlowLog(app, id, p)
			if err != nil {
				return err
			}
			app.Log("%s is %s", id, fl.Id)
			return nil
		})
	}

	decl("vpcFlowLog", ec2.FlowLogProps{
		ResourceId:   "vpc-12345678",
		ResourceType: "VPC",
		TrafficType:  "ALL",
		// The seed sets LogDestination "cloud-watch-logs"; that is a
		// destination type, not an ARN, so it goes in LogDestinationType.
		LogDestinationType: "cloud-watch-logs",
		LogGroupName:       "vpc-flow-logs",
		// CloudWatch Logs delivery needs a role EC2 can assume; the seed
		// has none.
		DeliverLogsPermissionArn: "arn:aws:iam::" + account + ":role/FlowLogsDeliveryRole",
		Tags:                     []athanor.Tag{{Key: "Environment", Value: "Production"}},
	})

	decl("advancedFlowLog", ec2.FlowLogProps{
		ResourceId:   "vpc-87654321",
		ResourceType: "VPC",
		TrafficType:  "ACCEPT",
		// The seed's "S3" is not an allowed value: the enum is lower case.
		LogDestinationType: "s3",
		// The seed's LogDestination "s3" and LogGroupName (CloudWatch Logs
		// only) become the bucket's ARN.
		LogDestination: "arn:aws:s3:::advanced-vpc-flow-logs",
		// ${timestamp} is not a flow log field; ${start} is the capture
		// window's start time.
		LogFormat:              "${version} ${start} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes}",
		MaxAggregationInterval: athanor.Int(60),
		// No DeliverCrossAccountRole: EC2 takes it for Firehose only; the bucket's policy grants S3 delivery.
		Tags: []athanor.Tag{{Key: "Project", Value: "NetworkMonitoring"}},
	})

	decl("interfaceFlowLog", ec2.FlowLogProps{
		ResourceId:   "eni-12345678",
		ResourceType: "NetworkInterface",
		TrafficType:  "REJECT",
		// As in vpcFlowLog: a destination type, and the role CloudWatch
		// Logs delivery needs.
		LogDestinationType:       "cloud-watch-logs",
		LogGroupName:             "interface-flow-logs",
		DeliverLogsPermissionArn: "arn:aws:iam::" + account + ":role/FlowLogsDeliveryRole",
		Tags:                     []athanor.Tag{{Key: "Type", Value: "Monitoring"}},
	})

	decl("crossAccountFlowLog", ec2.FlowLogProps{
		ResourceId:   "vpc-11223344",
		ResourceType: "VPC",
		TrafficType:  "ALL",
		// Lower-case "s3", and the bucket's ARN instead of "s3" and a
		// CloudWatch Logs group name, as in advancedFlowLog.
		LogDestinationType: "s3",
		LogDestination:     "arn:aws:s3:::cross-account-vpc-flow-logs",
		// No DeliverCrossAccountRole: the other account's bucket policy admits delivery.logs.amazonaws.com for this account.
		Tags: []athanor.Tag{{Key: "Compliance", Value: "Audit"}},
	})
	return nil
}
