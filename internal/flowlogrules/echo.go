package flowlogrules

import "strings"

// Echo returns the model a read of the flow log returns, as the AWS handler
// echoes it. The emulator answers GetResource and ListResources with it, and
// the engine can use it to predict the model after a create, so that a plan
// shows no change for defaults EC2 filled in.
//
// Given the stored create props plus id, region and account, it:
//   - sets Id;
//   - fills EC2's defaults: LogDestinationType, LogFormat, and
//     MaxAggregationInterval (600, or 60 for transit gateway resources, which
//     support nothing else; that default is GUESS);
//   - for cloud-watch-logs, sets both LogGroupName and the log-group ARN in
//     LogDestination, "arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME",
//     as the handler's fixture shows [H];
//   - derives ResourceType from the ResourceId prefix as the handler does
//     [H], and echoes the declared ResourceType for a prefix it does not
//     know (transit gateways, regional NAT gateways; see below);
//   - echoes DestinationOptions for s3 only, filling the documented defaults
//     (plain-text, false, false [D]) because EC2 reports them for every s3
//     flow log (GUESS);
//   - copies Tags when non-empty and omits them otherwise;
//   - echoes DeliverCrossAccountRole and TagFieldSpecifications when they
//     were given (see below).
//
// The 2022 copy of the handler source [H] predates DeliverCrossAccountRole
// (added to the schema after cloudformation-coverage-roadmap#1351, October
// 2022), TagFieldSpecifications and the transit gateway resource types, so
// it neither sends nor reads them. They are echoed anyway: EC2's
// DescribeFlowLogs returns them [M], and the handler contract test
// contract_create_read requires a read to return what create was given for
// every property that is neither read-only nor write-only, which none of
// them is [S]. A read that dropped DeliverCrossAccountRole made a peer
// client (awscc) plan to replace cross-account flow logs on every run.
//
// Numbers come back as int. Echo does not modify props, but the model it
// returns shares props' lists and maps (Tags, TagFieldSpecifications,
// DestinationOptions' values): a caller that keeps props and hands the
// echo out passes Echo a copy, as the emulator does.
func Echo(props map[string]any, id, region, account string) map[string]any {
	out := map[string]any{"Id": id}
	d := DestinationOf(props)

	resourceID, hasID := str(props, "ResourceId")
	if hasID {
		out["ResourceId"] = resourceID
	}
	rt, known := ResourceTypeOf(resourceID)
	declared, _ := str(props, "ResourceType")
	if known {
		out["ResourceType"] = rt
	} else if canon, ok := canonical(declared, resourceTypes); ok {
		out["ResourceType"] = canon
	}
	if tt, ok := str(props, "TrafficType"); ok {
		out["TrafficType"] = tt
	}

	out["LogDestinationType"] = d.Type
	if f, ok := str(props, "LogFormat"); ok {
		out["LogFormat"] = f
	} else {
		out["LogFormat"] = DefaultLogFormat
	}
	interval := int64(DefaultMaxAggregationInterval)
	if isTransitGateway(declared) || isTransitGateway(rt) {
		interval = 60
	}
	if n, ok := toInt(props["MaxAggregationInterval"]); ok {
		interval = n
	}
	out["MaxAggregationInterval"] = int(interval)

	if arn, ok := str(props, "DeliverLogsPermissionArn"); ok {
		out["DeliverLogsPermissionArn"] = arn
	}
	if role, ok := str(props, "DeliverCrossAccountRole"); ok {
		out["DeliverCrossAccountRole"] = role
	}
	if specs, ok := props["TagFieldSpecifications"].([]any); ok && len(specs) > 0 {
		out["TagFieldSpecifications"] = specs
	}

	ld, hasLD := str(props, "LogDestination")
	switch d.Type {
	case typeCloudWatchLogs:
		if d.LogGroup != "" {
			out["LogGroupName"] = d.LogGroup
		}
		if _, err := parseLogGroupARN(ld); hasLD && err == nil {
			out["LogDestination"] = ld
		} else if d.LogGroup != "" {
			out["LogDestination"] = "arn:" + partitionOf(region) + ":logs:" + region + ":" + account + ":log-group:" + d.LogGroup
		}
	case typeS3:
		if hasLD {
			out["LogDestination"] = ld
		}
		out["DestinationOptions"] = echoDestinationOptions(props["DestinationOptions"])
	default:
		if hasLD {
			out["LogDestination"] = ld
		}
	}

	if tags, ok := props["Tags"].([]any); ok && len(tags) > 0 {
		out["Tags"] = tags
	} else if tags, ok := props["Tags"].([]map[string]any); ok && len(tags) > 0 {
		list := make([]any, len(tags))
		for i, t := range tags {
			list[i] = t
		}
		out["Tags"] = list
	}
	return out
}

// echoDestinationOptions fills the documented defaults into given options.
func echoDestinationOptions(given any) map[string]any {
	out := map[string]any{
		"FileFormat":               "plain-text",
		"HiveCompatiblePartitions": false,
		"PerHourPartition":         false,
	}
	if m, ok := given.(map[string]any); ok {
		for k, v := range m {
			if v != nil {
				out[k] = v
			}
		}
	}
	return out
}

// partitionOf returns the ARN partition of a region.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
