// Package examples holds Athanor's example programs, one per folder
// (go run ./examples/flowlogs --local). It embeds their sources so that
// `athanor new` writes exactly these programs as a new module's starting
// point: the examples are the templates, and are written once.
package examples

import "embed"

// Programs holds <example>/main.go of every example.
//
//go:embed */main.go
var Programs embed.FS
