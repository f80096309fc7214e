package athanor_test

import (
	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/aws/logs"
)

// A program is a main function that calls Run. Built, it is a command
// line: `go run . plan --local` shows what it would create against the
// local endpoint, `go run .` creates it in the configured AWS account, and
// `go run . destroy` deletes it again.
func ExampleRun() {
	athanor.Run("network", func(app *athanor.App) error {
		group, err := logs.LogGroup(app, "flowLogGroup", logs.LogGroupProps{
			LogGroupName:    "vpc-flow-logs",
			RetentionInDays: athanor.Int(30),
		})
		if err != nil {
			return err
		}
		app.Log("log group %s", group.Arn)
		return nil
	})
}

// App.Resource declares a resource of any type Cloud Control supports, by
// its CloudFormation type name and a property map, and returns it as AWS
// reports it. The typed packages under aws/ are built on it.
func ExampleApp_Resource() {
	athanor.Run("queues", func(app *athanor.App) error {
		q, err := app.Resource("AWS::SQS::Queue", "jobs", map[string]any{
			"QueueName":         "jobs",
			"VisibilityTimeout": 120,
		})
		if err != nil {
			return err
		}
		app.Log("queue %s at %s", q.Identifier, q.String("Arn"))
		return nil
	})
}

// DependsOn orders two resources that no property connects: the flow log
// is created after the audit log group and deleted before it. A property
// that carries another resource's value (here the flow log group's name)
// needs no DependsOn: the dependency is found from it.
func ExampleDependsOn() {
	athanor.Run("network", func(app *athanor.App) error {
		group, err := logs.LogGroup(app, "flowLogGroup", logs.LogGroupProps{LogGroupName: "vpc-flow-logs"})
		if err != nil {
			return err
		}
		audit, err := app.Resource("AWS::Logs::LogGroup", "auditLogGroup", map[string]any{"LogGroupName": "audit"})
		if err != nil {
			return err
		}
		_, err = ec2.FlowLog(app, "vpcFlowLog", ec2.FlowLogProps{
			ResourceId:               "vpc-12345678",
			ResourceType:             "VPC",
			TrafficType:              "ALL",
			LogDestinationType:       "cloud-watch-logs",
			LogGroupName:             group.LogGroupName,
			DeliverLogsPermissionArn: "arn:aws:iam::123456789012:role/flow-logs",
		}, athanor.DependsOn(audit))
		return err
	})
}
