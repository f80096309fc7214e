// Command empty is a program that declares no resources yet: the starting
// point `athanor new` writes by default. Declare resources in program with
// the typed packages under github.com/athanor-iac/athanor/aws (each
// package's documentation opens with an example; `athanor schema TYPE`
// lists a type's properties and their Go names), then run it:
//
//	go run ./examples/empty --local   # against the embedded local endpoint
//	go run ./examples/empty plan      # what a run against AWS would change
//	go run ./examples/empty           # make AWS match the program
package main

import (
	"github.com/athanor-iac/athanor"
	_ "github.com/athanor-iac/athanor/localcc" // --local: the embedded local endpoint; drop to leave it out of the binary
)

func main() {
	athanor.Run("empty", program)
}

// program declares the resources. A CloudWatch Logs log group, for
// example (import "github.com/athanor-iac/athanor/aws/logs"):
//
//	group, err := logs.LogGroup(app, "appLogs", logs.LogGroupProps{
//		LogGroupName:    "app-logs",
//		RetentionInDays: athanor.Int(30),
//	})
//	if err != nil {
//		return err
//	}
//	app.Log("log group %s", group.Arn)
func program(app *athanor.App) error {
	return nil
}
