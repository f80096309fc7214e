// Package ec2 declares Amazon EC2 resources with typed properties.
package ec2

import (
	"encoding/json"
	"fmt"

	"github.com/athanor-iac/athanor"
)

// FlowLogType is the Cloud Control type name of a VPC flow log.
const FlowLogType = "AWS::EC2::FlowLog"

// FlowLogProps are the properties of AWS::EC2::FlowLog, named as
// CloudFormation names them. Empty fields are left out of the request, so
// AWS applies its defaults. Every property but Tags is createOnly:
// changing one replaces the flow log.
type FlowLogProps struct {
	// ResourceId is the ID of the VPC, subnet, network interface or
	// transit gateway (attachment) to log. Required.
	ResourceId string `json:"ResourceId,omitempty"`
	// ResourceType is the kind of ResourceId: VPC, Subnet,
	// NetworkInterface, TransitGateway, TransitGatewayAttachment or
	// RegionalNatGateway. Required.
	ResourceType string `json:"ResourceType,omitempty"`
	// TrafficType is ACCEPT, REJECT or ALL. Required for VPC, Subnet and
	// NetworkInterface; not supported for transit gateways.
	TrafficType string `json:"TrafficType,omitempty"`
	// LogDestinationType is cloud-watch-logs (the default), s3 or
	// kinesis-data-firehose.
	LogDestinationType string `json:"LogDestinationType,omitempty"`
	// LogDestination is the ARN of the destination: a log group
	// (arn:aws:logs:REGION:ACCOUNT:log-group:NAME), a bucket with an
	// optional prefix (arn:aws:s3:::BUCKET/PREFIX/), or a Firehose delivery
	// stream.
	LogDestination string `json:"LogDestination,omitempty"`
	// LogGroupName names the CloudWatch Logs log group (cloud-watch-logs
	// only; LogDestination may give its ARN instead).
	LogGroupName string `json:"LogGroupName,omitempty"`
	// DeliverLogsPermissionArn is the IAM role EC2 assumes to publish to
	// CloudWatch Logs (required for cloud-watch-logs; not for s3).
	DeliverLogsPermissionArn string `json:"DeliverLogsPermissionArn,omitempty"`
	// DeliverCrossAccountRole is the IAM role that lets EC2 publish flow
	// logs to another account.
	DeliverCrossAccountRole string `json:"DeliverCrossAccountRole,omitempty"`
	// LogFormat lists the record fields, "${version} ${srcaddr} ...".
	// Empty means AWS's default format.
	LogFormat string `json:"LogFormat,omitempty"`
	// MaxAggregationInterval is 60 or 600 seconds (the default); 60 for
	// transit gateways. 0 means unset.
	MaxAggregationInterval int `json:"MaxAggregationInterval,omitempty"`
	// DestinationOptions sets the S3 file format and partitioning (s3
	// only).
	DestinationOptions *FlowLogDestinationOptions `json:"DestinationOptions,omitempty"`
	// TagFieldSpecifications enriches records with EC2 tags.
	TagFieldSpecifications []FlowLogTagFieldSpecification `json:"TagFieldSpecifications,omitempty"`
	// Tags are the flow log's tags; the only property that changes in
	// place.
	Tags []athanor.Tag `json:"Tags,omitempty"`
}

// FlowLogDestinationOptions are the S3 delivery options; all three are
// required when the block is given.
type FlowLogDestinationOptions struct {
	// FileFormat is plain-text or parquet.
	FileFormat string `json:"FileFormat"`
	// HiveCompatiblePartitions uses Hive-compatible S3 prefixes.
	HiveCompatiblePartitions bool `json:"HiveCompatiblePartitions"`
	// PerHourPartition partitions by hour instead of by day.
	PerHourPartition bool `json:"PerHourPartition"`
}

// FlowLogTagFieldSpecification names the EC2 resource types and tag keys
// whose values are added to records.
type FlowLogTagFieldSpecification struct {
	ResourceType string   `json:"ResourceType"`
	TagKeys      []string `json:"TagKeys"`
}

// FlowLogResource is a flow log as AWS reports it: every property, AWS's
// defaults included (LogFormat, MaxAggregationInterval, LogDestination of a
// log group), and its Id.
type FlowLogResource struct {
	FlowLogProps
	// Id is the flow log's ID (fl-...). While planning a flow log that does
	// not exist yet it is an unknown value (athanor.IsUnknown).
	Id string `json:"Id"`
	// Resource is the generic view of the same resource.
	Resource *athanor.Resource `json:"-"`
}

// ResourceID returns the logical ID, for athanor.DependsOn.
func (f *FlowLogResource) ResourceID() string { return f.Resource.LogicalID }

// FlowLog declares a VPC flow log. It returns once AWS has it as declared
// (while planning, at once). Props are checked against the schema and EC2's
// rules before anything is sent; every mistake is reported with how to fix
// it.
func FlowLog(app *athanor.App, logicalID string, props FlowLogProps, opts ...athanor.ResourceOption) (*FlowLogResource, error) {
	r, err := app.Resource(FlowLogType, logicalID, props, opts...)
	if err != nil {
		return nil, err
	}
	out := &FlowLogResource{Resource: r}
	b, err := json.Marshal(r.Properties)
	if err == nil {
		err = json.Unmarshal(b, out)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %q: decode properties AWS reported: %w", FlowLogType, logicalID, err)
	}
	if out.Id == "" {
		out.Id = r.Identifier
	}
	return out, nil
}
