package orgflow

import (
	"encoding/json"
	"fmt"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/kms"
	"github.com/athanor-iac/athanor/aws/s3"
)

// MaxBucketPolicyBytes is S3's limit on a bucket policy, 20 KB ("Bucket
// policies are limited to 20 KB in size", S3 user guide; a policy over it
// is also what flow-logs troubleshooting names behind
// LogDestinationPermissionIssueException, research/scopes-and-org.md
// section E).
const MaxBucketPolicyBytes = 20 * 1024

// logDelivery is the service principal that writes flow logs to S3.
var logDelivery = map[string]any{"Service": "delivery.logs.amazonaws.com"}

// declareBucket declares the central bucket and its policy in the
// log-archive account (and, with Config.KMS, the key that encrypts it),
// and returns the policy, which flow logs must come after: without it EC2
// tries to attach one of its own.
func (o *org) declareBucket(archive athanor.Declarer) (*s3.BucketPolicyResource, error) {
	// SSE-S3 unless Config.KMS asks for a customer managed key.
	byDefault := &s3.BucketServerSideEncryptionByDefault{SSEAlgorithm: "AES256"}
	var bucketKey *bool
	if o.KMS {
		key, err := kms.Key(archive, "centralKey", kms.KeyProps{
			Description:       "Encrypts the flow logs of the organisation in " + o.bucket,
			EnableKeyRotation: athanor.Bool(true),
			KeyPolicy:         o.keyPolicy(),
		})
		if err != nil {
			return nil, err
		}
		byDefault = &s3.BucketServerSideEncryptionByDefault{SSEAlgorithm: "aws:kms", KMSMasterKeyID: key.Arn}
		// An S3 Bucket Key makes S3 ask KMS for a data key per bucket
		// rather than per object: one flow log file every five minutes
		// per VPC would otherwise be as many KMS calls.
		bucketKey = athanor.Bool(true)
	}
	bucket, err := s3.Bucket(archive, "centralBucket", s3.BucketProps{
		BucketName: o.bucket,
		BucketEncryption: &s3.BucketBucketEncryption{ServerSideEncryptionConfiguration: []s3.BucketServerSideEncryptionRule{{
			ServerSideEncryptionByDefault: byDefault, BucketKeyEnabled: bucketKey,
		}}},
		PublicAccessBlockConfiguration: &s3.BucketPublicAccessBlockConfiguration{
			BlockPublicAcls: athanor.Bool(true), BlockPublicPolicy: athanor.Bool(true),
			IgnorePublicAcls: athanor.Bool(true), RestrictPublicBuckets: athanor.Bool(true),
		},
		LifecycleConfiguration: &s3.BucketLifecycleConfiguration{Rules: []s3.BucketRule{{
			Id: "archive-then-expire", Status: "Enabled",
			Transitions:      []s3.BucketTransition{{StorageClass: "GLACIER_IR", TransitionInDays: athanor.Int(90)}},
			ExpirationInDays: athanor.Int(400),
		}}},
	})
	if err != nil {
		return nil, err
	}
	return s3.BucketPolicy(archive, "centralBucketPolicy", s3.BucketPolicyProps{
		Bucket:         bucket.Resource.Identifier,
		PolicyDocument: deliveryPolicy(bucket.Arn, o.sources()),
	})
}

// sources is the condition on who log delivery writes for: the
// organisation (aws:SourceOrgID) when its ID is known, else the covered
// accounts one by one (aws:SourceAccount).
//
// aws:SourceOrgID is a global condition key that, like aws:SourceAccount,
// is in the request context when an AWS service principal acts for a
// resource of an account; it holds that account's organisation ID (IAM
// user guide, "AWS global condition context keys"). INFERRED, not
// confirmed for flow logs by an AWS page: that delivery.logs.amazonaws.com
// sets it when writing flow logs; cloudposse's flow-logs bucket module
// (terraform-aws-vpc-flow-logs-s3-bucket#101) relies on it, and AWS's
// flow-logs page shows aws:SourceAccount only (research/scopes-and-org.md
// section E). Naming the organisation keeps the policy one size whatever
// the number of accounts and admits accounts that join later; the list
// grows by 15 bytes per account in each of the policy's two statements
// and passes S3's 20 KB limit at about 660 accounts.
func (o *org) sources() map[string]any {
	if o.orgID != "" {
		return map[string]any{"aws:SourceOrgID": o.orgID}
	}
	return map[string]any{"aws:SourceAccount": o.accounts}
}

// checkPolicySize refuses, before anything is declared, a bucket policy
// over S3's 20 KB: S3 would refuse it only once the bucket exists. Only
// the account list can grow that far; the key policy (KMS allows 32 KB)
// lists the accounts once where the bucket policy lists them twice, so
// this check covers it too.
func (o *org) checkPolicySize() error {
	doc, err := json.Marshal(deliveryPolicy("arn:aws:s3:::"+o.bucket, o.sources()))
	if err != nil {
		return err
	}
	if len(doc) <= MaxBucketPolicyBytes {
		return nil
	}
	return fmt.Errorf("the central bucket's policy would list %d accounts in aws:SourceAccount and be %d bytes, over S3's limit of %d bytes (20 KB). "+
		"Name the organisation instead (aws:SourceOrgID) by setting ORG_ID to its ID, found from the management account with:\n"+
		"  export ORG_ID=$(aws organizations describe-organization --query Organization.Id --output text)\n"+
		"or cover fewer accounts per run (ORG_ACCOUNTS, each run with its own ORG_BUCKET)", len(o.accounts), len(doc), MaxBucketPolicyBytes)
}

// deliveryPolicy is the bucket policy the VPC user guide gives for flow
// logs published to S3 from other accounts ("Amazon S3 bucket permissions
// for flow logs"): the log delivery service may write objects, owned by
// the bucket owner, and read the bucket's ACL, on behalf of sources only
// (an organisation or a list of accounts; see org.sources).
func deliveryPolicy(bucketARN string, sources map[string]any) map[string]any {
	write := map[string]any{"s3:x-amz-acl": "bucket-owner-full-control"}
	for k, v := range sources {
		write[k] = v
	}
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": logDelivery,
				"Action": "s3:PutObject", "Resource": bucketARN + "/AWSLogs/*",
				"Condition": map[string]any{"StringEquals": write},
			},
			map[string]any{
				"Sid": "AWSLogDeliveryAclCheck", "Effect": "Allow", "Principal": logDelivery,
				"Action": []string{"s3:GetBucketAcl", "s3:ListBucket"}, "Resource": bucketARN,
				"Condition": map[string]any{"StringEquals": sources},
			},
		},
	}
}

// keyPolicy is the key policy of the central bucket's KMS key. The first
// statement is KMS's default: the log-archive account's IAM policies
// govern the key, without which the key could not be managed (KMS refuses
// a policy that locks its caller out). The second is the statement
// CloudWatch Logs documents for vended logs (flow logs among them) sent
// to an SSE-KMS bucket ("Logs sent to Amazon S3", section "Amazon S3
// bucket server-side encryption"; research/scopes-and-org.md section E):
// delivery.logs.amazonaws.com may use the key, for the sources only. The
// page also names aws:SourceArn arn:aws:logs:REGION:ACCOUNT:*; the source
// condition already confines the key to the organisation's accounts, and
// one SourceArn per account and region would grow with them.
func (o *org) keyPolicy() map[string]any {
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid": "EnableIAMUserPermissions", "Effect": "Allow",
				"Principal": map[string]any{"AWS": "arn:aws:iam::" + o.LogArchive + ":root"},
				"Action":    "kms:*", "Resource": "*",
			},
			map[string]any{
				"Sid": "AllowLogDeliveryUseOfTheKey", "Effect": "Allow", "Principal": logDelivery,
				"Action":    []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
				"Resource":  "*",
				"Condition": map[string]any{"StringEquals": o.sources()},
			},
		},
	}
}
