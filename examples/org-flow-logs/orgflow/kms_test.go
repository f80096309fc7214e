package orgflow_test

import (
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/localcc"
)

// With KMS the central bucket is encrypted (SSE-KMS) with a customer
// managed key declared in the log-archive account, whose key policy lets
// log delivery use it for the organisation's accounts; coverage still
// reaches 100 %.
func TestKMSEncryptedBucket(t *testing.T) {
	e := newEnv(t, localcc.Organization{Accounts: 2, Regions: regions[:1], VPCs: 1})
	e.cfg.KMS = true
	if out := e.up(); !strings.Contains(out, "coverage after: 3 of 3 VPCs (100 %)") {
		t.Fatalf("no full coverage:\n%s", out)
	}
	archive := localcc.Scope{Account: localcc.OrgMember(0), Region: regions[0]}
	keys := e.srv.ResourcesIn(archive, "AWS::KMS::Key")
	if len(keys) != 1 {
		t.Fatalf("%d KMS keys in the log archive, want 1", len(keys))
	}
	pol := mustJSON(t, keys[0].Properties["KeyPolicy"])
	for _, want := range []string{`"Principal":{"Service":"delivery.logs.amazonaws.com"}`, `"kms:GenerateDataKey*"`, `"aws:SourceOrgID":"` + e.orgID() + `"`, `"arn:aws:iam::` + localcc.OrgMember(0) + `:root"`} {
		if !strings.Contains(pol, want) {
			t.Errorf("key policy lacks %s: %s", want, pol)
		}
	}
	buckets := e.srv.ResourcesIn(archive, "AWS::S3::Bucket")
	if len(buckets) != 1 {
		t.Fatalf("%d buckets in the log archive", len(buckets))
	}
	enc := mustJSON(t, buckets[0].Properties["BucketEncryption"])
	if !strings.Contains(enc, `"SSEAlgorithm":"aws:kms"`) || !strings.Contains(enc, `"KMSMasterKeyID":"`+keys[0].Properties["Arn"].(string)+`"`) {
		t.Fatalf("bucket encryption %s, want aws:kms with the key %v", enc, keys[0].Properties["Arn"])
	}
}
