// Command athanor is the Athanor command line: infrastructure as code on
// AWS Cloud Control, a local Cloud Control endpoint, and schema tools. It
// only wires; every command lives in internal/cli, where tests run it.
package main

import "github.com/athanor-iac/athanor/internal/cli"

func main() { cli.Main() }
