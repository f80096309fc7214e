package state

import (
	"os"
	"os/user"
	"path/filepath"
)

// Environment variables that choose the stage and the state store when no
// flag does. Programs and the athanor command read them alike, so that the
// command finds the state a program wrote.
const (
	StageEnv = "ATHANOR_STAGE"
	URLEnv   = "ATHANOR_STATE"
)

// ResolveStage returns flag when set, else $ATHANOR_STAGE, else the user
// name, else "dev": each person gets a stage of their own by default.
func ResolveStage(flag string) string {
	if flag != "" {
		return flag
	}
	if s := os.Getenv(StageEnv); s != "" {
		return s
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return filepath.Base(u.Username)
	}
	return "dev"
}

// ResolveURL returns flag when set, else $ATHANOR_STATE, else DefaultURL.
func ResolveURL(flag string) string {
	if flag != "" {
		return flag
	}
	if s := os.Getenv(URLEnv); s != "" {
		return s
	}
	return DefaultURL
}
