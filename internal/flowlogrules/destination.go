package flowlogrules

import (
	"errors"
	"regexp"
	"strings"
)

// ARN patterns. Partitions are the three EC2 flow logs run in.
var (
	// roleARN matches an IAM role ARN, path allowed [M].
	roleARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
	// logGroupARN matches a CloudWatch Logs log-group ARN [M]; group 2 is
	// the log group name (CloudWatch Logs allows [.-_/#A-Za-z0-9]).
	logGroupARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:logs:[a-z0-9-]+:[0-9]{12}:log-group:([\w.#/-]+)$`)
	// s3ARN matches arn:aws:s3:::bucket[/prefix] [M]; group 2 is the bucket
	// (S3 bucket naming rules), group 3 the prefix without its leading "/".
	s3ARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(.*))?$`)
	// firehoseARN matches a Firehose delivery-stream ARN [M].
	firehoseARN = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:firehose:[a-z0-9-]+:[0-9]{12}:deliverystream/[\w.-]+$`)
)

var (
	errTrailingWildcard = errors.New("log-group ARN ends in :*")
	errNotLogGroupARN   = errors.New("not a log-group ARN")
	errNotS3ARN         = errors.New("not an S3 bucket ARN")
)

// parseLogGroupARN returns the log group name in a log-group ARN.
func parseLogGroupARN(arn string) (string, error) {
	if base, ok := strings.CutSuffix(arn, ":*"); ok && logGroupARN.MatchString(base) {
		return "", errTrailingWildcard
	}
	m := logGroupARN.FindStringSubmatch(arn)
	if m == nil {
		return "", errNotLogGroupARN
	}
	return m[2], nil
}

// parseS3ARN returns the bucket and key prefix in arn:aws:s3:::bucket[/prefix].
func parseS3ARN(arn string) (bucket, prefix string, err error) {
	m := s3ARN.FindStringSubmatch(arn)
	if m == nil || strings.Contains(m[2], "..") {
		return "", "", errNotS3ARN
	}
	return m[2], m[3], nil
}

// hasAWSLogsSegment reports whether a key prefix uses AWSLogs as a
// subfolder name, which EC2 refuses because it writes AWSLogs/ itself [M].
func hasAWSLogsSegment(prefix string) bool {
	for _, seg := range strings.Split(prefix, "/") {
		if seg == "AWSLogs" {
			return true
		}
	}
	return false
}

// ResourceTypeOf returns the flow log ResourceType implied by a resource ID
// prefix and false if the prefix is not one of them. Check uses it to catch a
// ResourceType that contradicts ResourceId; the emulator uses it to know what
// kind of resource an ID must exist as.
//
// Only the five prefixes below are known; RegionalNatGateway, which the
// published schema also lists, has no prefix here because none is documented
// in the spec.
func ResourceTypeOf(resourceID string) (string, bool) {
	switch {
	case strings.HasPrefix(resourceID, "vpc-"):
		return rtVPC, true
	case strings.HasPrefix(resourceID, "subnet-"):
		return rtSubnet, true
	case strings.HasPrefix(resourceID, "eni-"):
		return rtNetworkInterface, true
	case strings.HasPrefix(resourceID, "tgw-attach-"): // before "tgw-"
		return rtTransitGatewayAtt, true
	case strings.HasPrefix(resourceID, "tgw-"):
		return rtTransitGateway, true
	}
	return "", false
}

// prefixOf is the inverse of ResourceTypeOf, for Fix texts.
func prefixOf(resourceType string) string {
	switch resourceType {
	case rtVPC:
		return "vpc-"
	case rtSubnet:
		return "subnet-"
	case rtNetworkInterface:
		return "eni-"
	case rtTransitGateway:
		return "tgw-"
	case rtTransitGatewayAtt:
		return "tgw-attach-"
	}
	return ""
}

// Destination describes where a flow log delivers, derived from props. It
// gives the emulator and the engine one reading of the three ways a
// destination can be spelled (LogGroupName, a log-group ARN, an S3 or
// Firehose ARN), so duplicate detection, echoing and existence checks agree.
type Destination struct {
	Type      string // cloud-watch-logs | s3 | kinesis-data-firehose (default applied)
	LogGroup  string // cloud-watch-logs: the log group name (from LogGroupName or parsed from a log-group ARN in LogDestination)
	Bucket    string // s3: the bucket name parsed from LogDestination arn:aws:s3:::bucket[/prefix]
	Prefix    string // s3: the key prefix, if any
	StreamARN string // kinesis-data-firehose
}

// DestinationOf derives the [Destination] of props. LogDestinationType
// defaults to cloud-watch-logs and is taken case-insensitively ("S3" reads
// as s3), so a caller can describe a flow log Check has refused; an
// unrecognised type is returned as given with no other field set. Fields
// that cannot be parsed are left empty: DestinationOf never fails, Check is
// the place that says what is wrong.
func DestinationOf(props map[string]any) Destination {
	d := Destination{Type: DefaultLogDestinationType}
	if dt, ok := str(props, "LogDestinationType"); ok {
		d.Type = dt
		if canon, ok := canonical(dt, destinationTypes); ok {
			d.Type = canon
		}
	}
	ld, _ := str(props, "LogDestination")
	switch d.Type {
	case typeCloudWatchLogs:
		if lg, ok := str(props, "LogGroupName"); ok {
			d.LogGroup = lg
		} else if name, err := parseLogGroupARN(ld); err == nil {
			d.LogGroup = name
		}
	case typeS3:
		if b, p, err := parseS3ARN(ld); err == nil {
			d.Bucket, d.Prefix = b, p
		}
	case typeFirehose:
		d.StreamARN = ld
	}
	return d
}

// DuplicateKey returns the key under which EC2 considers two flow logs the
// same configuration, so that a second create with the same key fails with
// FlowLogAlreadyExists ("A flow log with the specified configuration already
// exists." [D]). The key is resource ID, traffic type, destination type and
// destination (spec section 4 item 11; moto's key is resource ID, log group
// and destination, and which fields EC2 compares is GUESS).
//
// The destination is normalised so that spellings of the same place collide:
// a log group is keyed by name whether given as LogGroupName or as an ARN,
// and an S3 destination by bucket and prefix without trailing slashes.
// Callers scope keys by account and region themselves.
func DuplicateKey(props map[string]any) string {
	id, _ := str(props, "ResourceId")
	tt, _ := str(props, "TrafficType")
	d := DestinationOf(props)
	var dest string
	switch d.Type {
	case typeCloudWatchLogs:
		dest = d.LogGroup
	case typeS3:
		dest = d.Bucket
		if p := strings.Trim(d.Prefix, "/"); p != "" {
			dest += "/" + p
		}
		if dest == "" {
			dest, _ = str(props, "LogDestination")
		}
	default:
		dest, _ = str(props, "LogDestination")
	}
	return strings.Join([]string{id, tt, d.Type, dest}, "|")
}
