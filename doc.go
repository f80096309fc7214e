// Package athanor declares AWS infrastructure in plain Go and makes AWS
// match it through the AWS Cloud Control API.
//
// A program calls [Run] with a function that declares resources. Each
// declaration is an ordinary call with a logical ID and CloudFormation-named
// properties that returns the live resource, for example:
//
//	athanor.Run("network", func(app *athanor.App) error {
//		fl, err := ec2.FlowLog(app, "vpcFlowLog", ec2.FlowLogProps{
//			ResourceId:   "vpc-12345678",
//			ResourceType: "VPC",
//			TrafficType:  "ALL",
//			...
//		})
//		if err != nil {
//			return err
//		}
//		app.Log("flow log %s", fl.Id)
//		return nil
//	})
//
// Running the program makes it a command line: `up` (the default) creates,
// updates, replaces and deletes until AWS matches, `plan` shows what up
// would do and changes nothing, `destroy` deletes everything of the stage.
// The program runs twice on each up: once to plan, so that every mistake in
// it is reported before anything is sent to AWS, and once to apply. Its
// function must therefore declare the same resources on every run.
//
// [App.Resource] manages any type Cloud Control supports by its
// CloudFormation type name and a property map. The packages under aws/,
// generated from AWS's CloudFormation schemas, give every type typed
// properties and outputs (aws/ec2.FlowLog, aws/logs.LogGroup, ...).
package athanor
