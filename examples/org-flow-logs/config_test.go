package main

import (
	"strings"
	"testing"
)

// ORG_KMS and ORG_ID are read into the config, and malformed values are
// reported together, each saying what to set.
func TestConfigFromEnv(t *testing.T) {
	t.Setenv("ORG_REGIONS", "us-east-1, eu-west-1")
	t.Setenv("ORG_KMS", "true")
	t.Setenv("ORG_ID", "o-a1b2c3d4e5")
	c, err := configFromEnv()
	if err != nil || !c.KMS || c.OrgID != "o-a1b2c3d4e5" || len(c.Regions) != 2 {
		t.Fatalf("config %+v, %v", c, err)
	}
	t.Setenv("ORG_KMS", "sometimes")
	t.Setenv("ORG_ID", "123456789012")
	_, err = configFromEnv()
	if err == nil || !strings.Contains(err.Error(), "ORG_KMS=sometimes: want true or false") || !strings.Contains(err.Error(), "ORG_ID=123456789012: not an organisation ID") {
		t.Fatalf("malformed values: %v", err)
	}
}
