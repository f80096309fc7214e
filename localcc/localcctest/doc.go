// Package localcctest gives tests of programs run against a local Cloud
// Control endpoint (package localcc) what they need to wait on the
// endpoint instead of on the wall clock: a [Clock] that follows real time
// but that a test can move on or stop, and [Calls], which hears of every
// call the endpoint answers.
package localcctest
