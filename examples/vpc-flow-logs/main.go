// Command vpc-flow-logs declares a VPC's flow logs and everything they
// need, with the generated typed packages: a VPC with two subnets, a
// CloudWatch Logs log group and the IAM role VPC Flow Logs assumes to
// write to it, an S3 bucket with the bucket policy that lets the log
// delivery service write to it, a flow log on the VPC to the log group, and
// one on a subnet to the bucket, in Parquet with hourly partitions.
//
// The bucket policy is also how flow logs are delivered to a bucket in
// another account: list the source accounts in sourceAccounts, deploy this
// bucket in the destination (log archive) account, and in each source
// account declare a flow log whose LogDestination is the bucket's ARN, with
// no role (EC2 takes DeliverCrossAccountRole for Firehose only).
//
// Resources are wired by passing one's outputs into another's props (the
// VPC's VpcId into the subnets, the role's Arn into the flow log, ...), so
// athanor records the dependencies: it creates in that order, and destroy
// deletes the flow logs before the VPC, the subnet and the bucket.
//
//	go run ./examples/vpc-flow-logs plan --local     # everything to create
//	go run ./examples/vpc-flow-logs --local          # create it
//	go run ./examples/vpc-flow-logs destroy --local  # delete it again
package main

import (
	"errors"
	"sync"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/aws/iam"
	"github.com/athanor-iac/athanor/aws/logs"
	"github.com/athanor-iac/athanor/aws/s3"
	_ "github.com/athanor-iac/athanor/localcc" // --local: the embedded local endpoint; drop to leave it out of the binary
)

// sourceAccounts are the AWS accounts whose flow logs may write to the
// bucket: the account that runs the program (the local endpoint's; put
// yours) and, for cross-account delivery, each other account's ID.
var sourceAccounts = []string{"123456789012"}

func main() {
	athanor.Run("vpc-flow-logs", program)
}

func program(app *athanor.App) error {
	tags := []athanor.Tag{{Key: "Example", Value: "vpc-flow-logs"}}

	// The VPC, the log group and the bucket depend on nothing: they are
	// created at the same time.
	var (
		vpc    *ec2.VPCResource
		group  *logs.LogGroupResource
		bucket *s3.BucketResource
	)
	err := parallel(
		func() (err error) {
			vpc, err = ec2.VPC(app, "vpc", ec2.VPCProps{
				CidrBlock:          "10.42.0.0/16",
				EnableDnsSupport:   athanor.Bool(true),
				EnableDnsHostnames: athanor.Bool(true),
				Tags:               tags,
			})
			return err
		},
		func() (err error) {
			group, err = logs.LogGroup(app, "flowLogGroup", logs.LogGroupProps{
				LogGroupName:    "vpc-flow-logs-" + app.Stage(),
				RetentionInDays: athanor.Int(30),
				Tags:            tags,
			})
			return err
		},
		func() (err error) {
			// No BucketName: AWS makes a unique one.
			bucket, err = s3.Bucket(app, "flowLogBucket", s3.BucketProps{Tags: tags})
			return err
		},
	)
	if err != nil {
		return err
	}

	// The subnets need the VPC's ID, the role the log group's ARN, the
	// bucket policy the bucket's name.
	var (
		subnetA, subnetB *ec2.SubnetResource
		role             *iam.RoleResource
		bucketPolicy     *s3.BucketPolicyResource
	)
	err = parallel(
		func() (err error) {
			subnetA, err = ec2.Subnet(app, "subnetA", ec2.SubnetProps{VpcId: vpc.VpcId, CidrBlock: "10.42.1.0/24", Tags: tags})
			return err
		},
		func() (err error) {
			subnetB, err = ec2.Subnet(app, "subnetB", ec2.SubnetProps{VpcId: vpc.VpcId, CidrBlock: "10.42.2.0/24", Tags: tags})
			return err
		},
		func() (err error) {
			role, err = iam.Role(app, "flowLogsRole", iam.RoleProps{
				Description: "Lets VPC Flow Logs deliver to the log group",
				// The trust policy: the flow-logs service may assume the role.
				AssumeRolePolicyDocument: map[string]any{
					"Version": "2012-10-17",
					"Statement": []any{map[string]any{
						"Effect":    "Allow",
						"Principal": map[string]any{"Service": "vpc-flow-logs.amazonaws.com"},
						"Action":    "sts:AssumeRole",
					}},
				},
				Policies: []iam.RolePolicyProperty{{
					PolicyName: "deliver-flow-logs",
					PolicyDocument: map[string]any{
						"Version": "2012-10-17",
						"Statement": []any{map[string]any{
							"Effect":   "Allow",
							"Action":   []string{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"},
							"Resource": group.Arn,
						}},
					},
				}},
				Tags: tags,
			})
			return err
		},
		func() (err error) {
			bucketPolicy, err = s3.BucketPolicy(app, "flowLogBucketPolicy", s3.BucketPolicyProps{
				// The bucket's name is its identifier; AWS chooses it.
				Bucket:         bucket.Resource.Identifier,
				PolicyDocument: logDeliveryPolicy(bucket.Arn),
			})
			return err
		},
	)
	if err != nil {
		return err
	}
	app.Log("subnets %s and %s in %s", subnetA.SubnetId, subnetB.SubnetId, vpc.VpcId)

	return parallel(
		func() error {
			fl, err := ec2.FlowLog(app, "vpcFlowLog", ec2.FlowLogProps{
				ResourceId:               vpc.VpcId,
				ResourceType:             ec2.FlowLogResourceTypeVpc,
				TrafficType:              ec2.FlowLogTrafficTypeAll,
				LogDestinationType:       ec2.FlowLogLogDestinationTypeCloudWatchLogs,
				LogGroupName:             group.LogGroupName,
				DeliverLogsPermissionArn: role.Arn,
				MaxAggregationInterval:   athanor.Int(60),
				Tags:                     tags,
			})
			if err == nil {
				app.Log("vpcFlowLog is %s", fl.Id)
			}
			return err
		},
		func() error {
			fl, err := ec2.FlowLog(app, "subnetFlowLog", ec2.FlowLogProps{
				ResourceId:         subnetA.SubnetId,
				ResourceType:       ec2.FlowLogResourceTypeSubnet,
				TrafficType:        ec2.FlowLogTrafficTypeReject,
				LogDestinationType: ec2.FlowLogLogDestinationTypeS3,
				// The bucket's ARN with a prefix for this subnet's logs.
				LogDestination: bucket.Arn + "/subnet-a/",
				DestinationOptions: &ec2.FlowLogDestinationOptions{
					FileFormat:       ec2.FlowLogDestinationOptionsFileFormatParquet,
					PerHourPartition: true,
				},
				Tags: tags,
				// No role: the bucket policy grants the delivery. It is
				// declared first, or EC2 attaches one of its own.
			}, athanor.DependsOn(bucketPolicy))
			if err == nil {
				app.Log("subnetFlowLog is %s", fl.Id)
			}
			return err
		},
	)
}

// logDeliveryPolicy is the bucket policy the VPC user guide gives for flow
// logs published to S3 ("Amazon S3 bucket permissions for flow logs",
// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html):
// the log delivery service may write objects, owned by the bucket owner,
// and read the bucket's ACL, on behalf of the source accounts only. It is
// the same for a bucket in the flow logs' own account and for one in
// another account, where it is the only grant delivery needs.
func logDeliveryPolicy(bucketARN string) map[string]any {
	principal := map[string]any{"Service": "delivery.logs.amazonaws.com"}
	return map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid":       "AWSLogDeliveryWrite",
				"Effect":    "Allow",
				"Principal": principal,
				"Action":    "s3:PutObject",
				"Resource":  bucketARN + "/*",
				"Condition": map[string]any{"StringEquals": map[string]any{
					"aws:SourceAccount": sourceAccounts,
					"s3:x-amz-acl":      "bucket-owner-full-control",
				}},
			},
			map[string]any{
				"Sid":       "AWSLogDeliveryAclCheck",
				"Effect":    "Allow",
				"Principal": principal,
				"Action":    "s3:GetBucketAcl",
				"Resource":  bucketARN,
				"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": sourceAccounts}},
			},
		},
	}
}

// parallel runs the declarations at once and returns their errors
// together. The engine bounds how many calls are in flight
// (--parallelism).
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
