package flowlogrules

import "strings"

// handlerEchoedResourceTypes are the resource types the CloudFormation
// handler derives from a ResourceId prefix when it builds the read model
// [H] (spec section 3, "Echoed model": vpc-, subnet-, eni-; anything else,
// e.g. tgw-, is absent). The deployed handler may be newer; if it is seen to
// echo transit gateway types, add them here.
var handlerEchoedResourceTypes = map[string]bool{
	rtVPC:              true,
	rtSubnet:           true,
	rtNetworkInterface: true,
}

// echoDeliverCrossAccountRole says whether the read model carries
// DeliverCrossAccountRole. The handler source never echoes it [H] (spec
// section 3: "This source never echoes DeliverCrossAccountRole"), so a
// read drops it and the engine must not treat its absence as drift.
const echoDeliverCrossAccountRole = false

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
//   - derives ResourceType from the ResourceId prefix, absent when the
//     handler does not know the prefix (see handlerEchoedResourceTypes);
//   - echoes DestinationOptions for s3 only, filling the documented defaults
//     (plain-text, false, false [D]) because EC2 reports them for every s3
//     flow log (GUESS);
//   - copies Tags when non-empty and omits them otherwise;
//   - omits DeliverCrossAccountRole (see echoDeliverCrossAccountRole) and any
//     property the handler does not model, such as TagFieldSpecifications.
//
// Numbers come back as int; Echo does not modify props.
func Echo(props map[string]any, id, region, account string) map[string]any {
	out := map[string]any{"Id": id}
	d := DestinationOf(props)

	resourceID, hasID := str(props, "ResourceId")
	if hasID {
		out["ResourceId"] = resourceID
	}
	rt, known := ResourceTypeOf(resourceID)
	if known && handlerEchoedResourceTypes[rt] {
		out["ResourceType"] = rt
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
	if declared, _ := str(props, "ResourceType"); isTransitGateway(declared) || isTransitGateway(rt) {
		interval = 60
	}
	if n, ok := toInt(props["MaxAggregationInterval"]); ok {
		interval = n
	}
	out["MaxAggregationInterval"] = int(interval)

	if arn, ok := str(props, "DeliverLogsPermissionArn"); ok {
		out["DeliverLogsPermissionArn"] = arn
	}
	if echoDeliverCrossAccountRole {
		if role, ok := str(props, "DeliverCrossAccountRole"); ok {
			out["DeliverCrossAccountRole"] = role
		}
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
		out["Tags"] = copyTags(tags)
	} else if tags, ok := props["Tags"].([]map[string]any); ok && len(tags) > 0 {
		cp := make([]any, len(tags))
		for i, t := range tags {
			cp[i] = copyMap(t)
		}
		out["Tags"] = cp
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

func copyTags(tags []any) []any {
	cp := make([]any, len(tags))
	for i, t := range tags {
		if m, ok := t.(map[string]any); ok {
			cp[i] = copyMap(m)
		} else {
			cp[i] = t
		}
	}
	return cp
}

func copyMap(m map[string]any) map[string]any {
	cp := make(map[string]any, len(m))
	for k, v := range m {
		cp[k] = v
	}
	return cp
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
