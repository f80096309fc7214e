// Package flowlogrules holds the EC2 rules for an AWS::EC2::FlowLog that the
// resource's JSON schema cannot express: which properties go together, which
// ARNs each destination type takes, which aggregation intervals a resource
// type allows, and what a LogFormat may contain.
//
// It has two users, and both get the same rules so they cannot drift apart:
//
//   - the local Cloud Control emulation, which must fail a create exactly as
//     EC2 would: it takes the first [Problem] that [Check] returns and uses its
//     Code and Message as EC2's error;
//   - the engine's validation before any API call, which shows every
//     [Problem] at once, with its Fix, so a user can repair a flow log in one
//     pass instead of one failed deployment per mistake.
//
// Input is always the CloudFormation model of a flow log as decoded from JSON
// (map[string]any with the schema's property names). Numbers may be float64,
// json.Number, int or int64. An empty string is treated as an absent property,
// as EC2's query protocol does with empty parameters.
//
// Rules are tagged with the source they come from, using the tags of
// /work/shared/research/cloudcontrol-spec.md: [M] the EC2 API model, [D] AWS
// docs, [H] the CloudFormation handler source, [S] the published schema, [I]
// error text seen in public issues, [moto] the moto emulator. GUESS marks a
// rule, code or message that was inferred rather than read; those are the
// first places to correct when real EC2 is seen to behave differently.
package flowlogrules

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/athanor-iac/athanor/internal/textdist"
)

// Problem is one rule a flow log's properties break.
//
// Code and Message are what EC2 itself would return, so the emulator can
// replay them verbatim (the CloudFormation handler then maps Code to a
// HandlerErrorCode). Property and Fix are for people: they say where the
// mistake is and what to write instead.
type Problem struct {
	Code     string // EC2's error code: "InvalidParameter", "InvalidParameterValue", "InvalidParameterCombination", "MissingParameter"
	Property string // the property at fault, e.g. "DeliverLogsPermissionArn"
	Message  string // EC2's own message text as AWS (or the spec's cited sources) word it
	Fix      string // one sentence for a person: what to change
}

// String renders the problem as "Property: Message (Code). Fix", the form a
// validation report prints.
func (p Problem) String() string {
	return fmt.Sprintf("%s: %s (%s). %s", p.Property, p.Message, p.Code, p.Fix)
}

// EC2 error codes used by Check.
const (
	codeInvalidParameter            = "InvalidParameter"
	codeInvalidParameterValue       = "InvalidParameterValue"
	codeInvalidParameterCombination = "InvalidParameterCombination"
	codeMissingParameter            = "MissingParameter"
)

// Defaults that EC2 reports for a flow log created without them. The engine
// needs them to compare a desired model with a read one, and the emulator to
// echo what EC2 would store.
const (
	// DefaultLogFormat is the version 2 record format EC2 uses when LogFormat
	// is omitted [H][D].
	DefaultLogFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
	// DefaultMaxAggregationInterval is the interval, in seconds, EC2 uses
	// when MaxAggregationInterval is omitted [M][H]. Transit gateway flow
	// logs only support 60; see [Echo].
	DefaultMaxAggregationInterval = 600
	// DefaultLogDestinationType is the destination type EC2 uses when
	// LogDestinationType is omitted [M].
	DefaultLogDestinationType = "cloud-watch-logs"
)

// Destination types [M].
const (
	typeCloudWatchLogs = "cloud-watch-logs"
	typeS3             = "s3"
	typeFirehose       = "kinesis-data-firehose"
)

var destinationTypes = []string{typeCloudWatchLogs, typeS3, typeFirehose}

// Resource types of the published schema [S].
const (
	rtVPC               = "VPC"
	rtSubnet            = "Subnet"
	rtNetworkInterface  = "NetworkInterface"
	rtTransitGateway    = "TransitGateway"
	rtTransitGatewayAtt = "TransitGatewayAttachment"
	rtRegionalNat       = "RegionalNatGateway"
)

var resourceTypes = []string{rtNetworkInterface, rtSubnet, rtVPC, rtTransitGateway, rtTransitGatewayAtt, rtRegionalNat}

var trafficTypes = []string{"ACCEPT", "ALL", "REJECT"}

// crossAccountRoleDestinations lists the destination types with which
// DeliverCrossAccountRole is accepted: Amazon Data Firehose only.
//
// AWS documents cross-account roles for Firehose alone: a role in the source
// account (DeliverLogsPermissionArn) and one in the destination account
// (DeliverCrossAccountRole), both needed [D] (VPC user guide, "IAM roles for
// cross account delivery",
// https://docs.aws.amazon.com/vpc/latest/userguide/firehose-cross-account-delivery.html).
// Delivery to a bucket in another account uses no role: the bucket's policy
// lets the log delivery service (delivery.logs.amazonaws.com) write for the
// source account [D] (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html),
// and EC2 refuses DeliverLogsPermissionArn with s3 [I], so DeliverCrossAccountRole
// with s3 can never meet the both-roles rule (inferred). CloudWatch Logs
// delivery is authorised by DeliverLogsPermissionArn alone [M]. What EC2
// answers when the role is given with s3 or cloud-watch-logs has not been
// seen: Check's message and code for it are GUESS.
var crossAccountRoleDestinations = map[string]bool{
	typeFirehose: true,
}

// destinationOptionsDestinations lists the destination types with which
// DestinationOptions is accepted. [D] documents it for s3 only; rejecting it
// elsewhere is GUESS (spec section 4 item 10).
var destinationOptionsDestinations = map[string]bool{
	typeS3: true,
}

// Check returns every problem with props, in a stable order: the order in
// which EC2 is taken to evaluate them, so that the first is the one EC2
// reports and the emulator can fail a create with it. The order itself is
// GUESS except that request-shape validation (LogFormat syntax, whose message
// comes from AWS's generic "validation error detected" layer [I]) runs before
// any business rule.
//
// Check looks only at props: it needs no knowledge of other resources, so it
// does not find a missing VPC, bucket or log group, a duplicate flow log
// (see [DuplicateKey]) or a Firehose stream in another account.
//
// To report every mistake in one pass, a value that is wrong only in letter
// case (LogDestinationType "S3", ResourceType "vpc") is reported and then
// taken as its canonical form for the rules that follow.
func Check(props map[string]any) []Problem {
	c := &checker{props: props}
	c.checkLogFormatSyntax()
	c.checkResource()
	c.checkTrafficType()
	dt := c.checkDestinationType()
	c.checkLogGroupNameOnlyForCloudWatch(dt)
	switch dt {
	case typeCloudWatchLogs:
		c.checkCloudWatch()
	case typeS3:
		c.checkS3()
	case typeFirehose:
		c.checkFirehose()
	}
	c.checkCrossAccountRole(dt)
	c.checkAggregationInterval()
	c.checkLogFormatFields()
	c.checkDestinationOptions(dt)
	return c.problems
}

type checker struct {
	props    map[string]any
	problems []Problem
	// logFormatBad is set when LogFormat failed syntax, so that its fields
	// are not also reported.
	logFormatBad bool
}

func (c *checker) add(code, prop, msg, fix string) {
	c.problems = append(c.problems, Problem{Code: code, Property: prop, Message: msg, Fix: fix})
}

func (c *checker) str(prop string) (string, bool) { return str(c.props, prop) }

// invalidValue is EC2's usual wording for a parameter value it refuses.
// The exact wording for flow log parameters is GUESS.
func invalidValue(value, param string) string {
	return fmt.Sprintf("Value (%s) for parameter %s is invalid.", value, param)
}

// missing is EC2's wording for a required parameter that is absent.
func missing(param string) string {
	return "The request must contain the parameter " + param
}

// resourceType returns the resource type the other rules should assume:
// ResourceType in canonical case when it names one, otherwise the type
// implied by the ResourceId prefix, otherwise "".
func (c *checker) resourceType() string {
	if rt, ok := c.str("ResourceType"); ok {
		if canon, ok := canonical(rt, resourceTypes); ok {
			return canon
		}
	}
	id, _ := c.str("ResourceId")
	rt, _ := ResourceTypeOf(id)
	return rt
}

func isTransitGateway(rt string) bool { return rt == rtTransitGateway || rt == rtTransitGatewayAtt }

// checkResource: ResourceIds and ResourceType are required [M] (section 4
// item 1); ResourceType is the schema's enum [S]; a ResourceId whose prefix
// names another resource type is refused (message wording from the brief,
// code InvalidParameter: GUESS).
func (c *checker) checkResource() {
	rt, hasRT := c.str("ResourceType")
	id, hasID := c.str("ResourceId")
	if !hasRT {
		fix := "set ResourceType to one of " + strings.Join(resourceTypes, ", ")
		if implied, ok := ResourceTypeOf(id); ok {
			fix = fmt.Sprintf("set ResourceType to %s, the type of %s", implied, id)
		}
		c.add(codeMissingParameter, "ResourceType", missing("ResourceType"), fix)
	} else if canon, ok := canonical(rt, resourceTypes); !ok || canon != rt {
		c.add(codeInvalidParameterValue, "ResourceType", invalidValue(rt, "ResourceType"),
			enumFix("ResourceType", rt, resourceTypes))
	}
	if !hasID {
		c.add(codeMissingParameter, "ResourceId", missing("ResourceIds"),
			"set ResourceId to the ID of the VPC, subnet, network interface or transit gateway to log (e.g. vpc-0123456789abcdef0)")
		return
	}
	declared, ok := canonical(rt, resourceTypes)
	if !hasRT || !ok {
		return
	}
	implied, known := ResourceTypeOf(id)
	if known && implied != declared {
		c.add(codeInvalidParameter, "ResourceId",
			fmt.Sprintf("ResourceId %s is not a %s", id, declared),
			fmt.Sprintf("set ResourceType to %s to match %s, or set ResourceId to the ID of a %s (%s...)",
				implied, id, declared, prefixOf(declared)))
	}
}

// checkTrafficType: TrafficType is required for VPC, Subnet and
// NetworkInterface and not supported for transit gateway types [M] (section 4
// item 2; the code for "not supported" is GUESS InvalidParameter, and both
// messages are GUESS in EC2's usual wording).
func (c *checker) checkTrafficType() {
	rt := c.resourceType()
	tt, has := c.str("TrafficType")
	switch {
	case isTransitGateway(rt):
		if has {
			c.add(codeInvalidParameter, "TrafficType",
				"TrafficType is not supported when the resource-type is "+rt,
				"remove TrafficType: transit gateway flow logs always capture all traffic")
		}
		return
	case rt == rtVPC || rt == rtSubnet || rt == rtNetworkInterface:
		if !has {
			c.add(codeMissingParameter, "TrafficType", missing("TrafficType"),
				"set TrafficType to ALL, ACCEPT or REJECT (ALL logs both accepted and rejected traffic)")
			return
		}
	}
	if has {
		if canon, ok := canonical(tt, trafficTypes); !ok || canon != tt {
			c.add(codeInvalidParameterValue, "TrafficType", invalidValue(tt, "TrafficType"),
				enumFix("TrafficType", tt, trafficTypes))
		}
	}
}

// checkDestinationType: the enum of section 4 item 3 [M]. The schema checks
// it too; Check repeats it so that the Fix can name the close valid value.
// It returns the destination type the later rules should assume, or "" when
// none can be told.
func (c *checker) checkDestinationType() string {
	dt, has := c.str("LogDestinationType")
	if !has {
		return DefaultLogDestinationType
	}
	canon, ok := canonical(dt, destinationTypes)
	if !ok || canon != dt {
		c.add(codeInvalidParameterValue, "LogDestinationType", invalidValue(dt, "LogDestinationType"),
			enumFix("LogDestinationType", dt, destinationTypes))
	}
	if !ok {
		return ""
	}
	return canon
}

// checkLogGroupNameOnlyForCloudWatch: LogGroupName is valid only for
// cloud-watch-logs [M] (section 4 item 5); message and code from [moto].
func (c *checker) checkLogGroupNameOnlyForCloudWatch(dt string) {
	if _, has := c.str("LogGroupName"); !has || dt == typeCloudWatchLogs || dt == "" {
		return
	}
	fix := "remove LogGroupName: it names a CloudWatch Logs log group, and " + dt + " delivery writes to LogDestination"
	c.add(codeInvalidParameter, "LogGroupName",
		"LogDestination type must be cloud-watch-logs if LogGroupName is provided.", fix)
}

// checkCloudWatch applies section 4 item 4.
func (c *checker) checkCloudWatch() {
	lg, hasLG := c.str("LogGroupName")
	ld, hasLD := c.str("LogDestination")

	// A log group or its ARN is required [M]; message and code from [moto].
	if !hasLG && !hasLD {
		c.add(codeInvalidParameter, "LogGroupName",
			"LogDestination can't be empty if LogGroupName is not provided.",
			"set LogGroupName to the name of the CloudWatch Logs log group to deliver to (it need not exist yet)")
	}

	if hasLD {
		// LogDestination must be a log-group ARN [M]. An ARN ending in
		// ":*" (the form IAM policies use) led to access errors [I]; EC2 may
		// accept it and fail delivery later, but it is refused here so the
		// user learns before deploying. Codes and messages GUESS.
		name, err := parseLogGroupARN(ld)
		switch {
		case err == nil && hasLG && name != lg:
			// Both given and disagreeing: GUESS InvalidParameterCombination.
			c.add(codeInvalidParameterCombination, "LogDestination",
				fmt.Sprintf("LogGroupName %s and LogDestination %s name different log groups.", lg, ld),
				fmt.Sprintf("remove one of them, or make LogDestination the ARN of log group %s", lg))
		case err == errTrailingWildcard:
			c.add(codeInvalidParameterValue, "LogDestination", invalidValue(ld, "LogDestination"),
				fmt.Sprintf("remove the trailing \":*\": set LogDestination to %s", strings.TrimSuffix(ld, ":*")))
		case err != nil:
			c.add(codeInvalidParameterValue, "LogDestination", invalidValue(ld, "LogDestination"),
				logDestinationFix(ld, typeCloudWatchLogs, hasLG))
		}
	}

	// DeliverLogsPermissionArn is required [M]; message and code from [moto].
	if _, has := c.str("DeliverLogsPermissionArn"); !has {
		c.add(codeInvalidParameter, "DeliverLogsPermissionArn",
			"DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs.",
			"set DeliverLogsPermissionArn to the ARN of an IAM role that vpc-flow-logs.amazonaws.com can assume and that may write to the log group")
	} else {
		c.checkRoleARN("DeliverLogsPermissionArn")
	}
}

// checkS3 applies section 4 item 6.
func (c *checker) checkS3() {
	ld, has := c.str("LogDestination")
	if !has {
		// Required [M]; EC2's generic missing-parameter wording (GUESS).
		c.add(codeMissingParameter, "LogDestination", missing("LogDestination"),
			"set LogDestination to the ARN of the S3 bucket to deliver to, e.g. arn:aws:s3:::my-flow-logs-bucket")
	} else if _, prefix, err := parseS3ARN(ld); err != nil {
		c.add(codeInvalidParameterValue, "LogDestination", invalidValue(ld, "LogDestination"),
			logDestinationFix(ld, typeS3, false))
	} else if hasAWSLogsSegment(prefix) {
		// "AWSLogs" may not be the subfolder [M]; EC2 adds AWSLogs/ itself.
		// Message and code GUESS.
		c.add(codeInvalidParameterValue, "LogDestination",
			invalidValue(ld, "LogDestination")+" AWSLogs is a reserved subfolder name.",
			"drop the AWSLogs subfolder from LogDestination: EC2 writes under <prefix>/AWSLogs/ on its own")
	}

	// [I] message; code GUESS InvalidParameter (it maps to InvalidRequest [H]).
	if _, has := c.str("DeliverLogsPermissionArn"); has {
		c.add(codeInvalidParameter, "DeliverLogsPermissionArn",
			"DeliverLogsPermissionArn is not applicable for s3 delivery",
			"remove DeliverLogsPermissionArn: S3 delivery is authorised by the bucket policy, not by a role")
	}
}

// checkFirehose applies section 4 item 7. DeliverLogsPermissionArn is
// required only for a stream in another account [M], which Check cannot know
// without the caller's account, so only its form is checked; see
// checkCrossAccountPair for the rule that ties it to DeliverCrossAccountRole.
func (c *checker) checkFirehose() {
	ld, has := c.str("LogDestination")
	if !has {
		c.add(codeMissingParameter, "LogDestination", missing("LogDestination"),
			"set LogDestination to the ARN of the Firehose delivery stream, e.g. arn:aws:firehose:us-east-1:123456789012:deliverystream/my-stream")
	} else if !firehoseARN.MatchString(ld) {
		c.add(codeInvalidParameterValue, "LogDestination", invalidValue(ld, "LogDestination"),
			logDestinationFix(ld, typeFirehose, false))
	}
	if _, has := c.str("DeliverLogsPermissionArn"); has {
		c.checkRoleARN("DeliverLogsPermissionArn")
	}
	c.checkCrossAccountPair()
}

// crossAccountPairMessage is EC2's answer to a Firehose flow log with only
// one of the two cross-account roles, quoted with code InvalidParameter in
// hashicorp/terraform-provider-aws#28577 [I], where DeliverLogsPermissionArn
// was given alone. That EC2 answers the same for DeliverCrossAccountRole
// alone is inferred from the wording.
const crossAccountPairMessage = "When providing a role for cross-account delivery, both the DeliverLogsPermissionArn and DeliverCrossAccountRole fields must be set."

// checkCrossAccountPair: with kinesis-data-firehose, the two roles of
// cross-account delivery go together [D][I] (see crossAccountRoleDestinations).
func (c *checker) checkCrossAccountPair() {
	_, source := c.str("DeliverLogsPermissionArn")
	_, dest := c.str("DeliverCrossAccountRole")
	switch {
	case source && !dest:
		c.add(codeInvalidParameter, "DeliverCrossAccountRole", crossAccountPairMessage,
			"for a stream in another account, also set DeliverCrossAccountRole to the ARN of the role in the stream's account that the log delivery service assumes; for a stream in this account, remove DeliverLogsPermissionArn")
	case dest && !source:
		c.add(codeInvalidParameter, "DeliverLogsPermissionArn", crossAccountPairMessage,
			"also set DeliverLogsPermissionArn to the ARN of the role in this (the source) account that the log delivery service assumes and that may assume DeliverCrossAccountRole")
	}
}

// crossAccountS3Fix says how delivery to another account's bucket is done
// instead of with a role [D] (flow-logs-s3-permissions, see
// crossAccountRoleDestinations).
const crossAccountS3Fix = "remove DeliverCrossAccountRole: cross-account delivery to S3 uses no role; set LogDestination to the other account's bucket ARN and have that bucket's policy allow the principal delivery.logs.amazonaws.com s3:PutObject (with aws:SourceAccount set to this flow log's account) and s3:GetBucketAcl"

// checkCrossAccountRole: DeliverCrossAccountRole must be a role ARN and is
// accepted only with the destination types in crossAccountRoleDestinations.
// The message mirrors EC2's wording for DeliverLogsPermissionArn with s3
// [I]; for DeliverCrossAccountRole both message and code are GUESS.
func (c *checker) checkCrossAccountRole(dt string) {
	if _, has := c.str("DeliverCrossAccountRole"); !has {
		return
	}
	if dt != "" && !crossAccountRoleDestinations[dt] {
		fix := "remove DeliverCrossAccountRole: it is only used, together with DeliverLogsPermissionArn, to deliver to an Amazon Data Firehose stream in another account"
		if dt == typeS3 {
			fix = crossAccountS3Fix
		}
		c.add(codeInvalidParameter, "DeliverCrossAccountRole",
			"DeliverCrossAccountRole is not applicable for "+dt+" delivery", fix)
		return
	}
	c.checkRoleARN("DeliverCrossAccountRole")
}

// checkRoleARN: DeliverLogsPermissionArn and DeliverCrossAccountRole are IAM
// role ARNs [M] (the pattern is the one Cloud Control uses for RoleArn, with
// the partitions spelled out). Message and code GUESS.
func (c *checker) checkRoleARN(prop string) {
	v, _ := c.str(prop)
	if roleARN.MatchString(v) {
		return
	}
	fix := fmt.Sprintf("set %s to an IAM role ARN of the form arn:aws:iam::123456789012:role/NAME", prop)
	if prop == "DeliverLogsPermissionArn" {
		fix += " (a role that vpc-flow-logs.amazonaws.com can assume)"
	}
	if name, ok := strings.CutPrefix(v, "arn:aws:iam::"); ok && strings.Contains(name, ":user/") {
		fix = fmt.Sprintf("%s names an IAM user; set %s to the ARN of an IAM role instead", v, prop)
	}
	c.add(codeInvalidParameterValue, prop, invalidValue(v, prop), fix)
}

// checkAggregationInterval applies section 4 item 8: 60 or 600 [M]; 60 only
// for transit gateway types, with the message seen in [I]. For other values
// the message is moto's [moto], code GUESS InvalidParameter.
func (c *checker) checkAggregationInterval() {
	raw, has := c.props["MaxAggregationInterval"]
	if !has || raw == nil {
		return
	}
	n, ok := toInt(raw)
	if !ok {
		c.add(codeInvalidParameterValue, "MaxAggregationInterval",
			invalidValue(fmt.Sprint(raw), "MaxAggregationInterval"),
			"set MaxAggregationInterval to the whole number 60 or 600 (seconds)")
		return
	}
	if isTransitGateway(c.resourceType()) && n != 60 {
		c.add(codeInvalidParameter, "MaxAggregationInterval",
			"max-aggregation-interval other than 60 sec / 1 min is not supported when the resource-type is TransitGateway or TransitGatewayAttachment",
			"set MaxAggregationInterval to 60, or remove it")
		return
	}
	if n != 60 && n != 600 {
		near := int64(600)
		if n < 330 {
			near = 60
		}
		c.add(codeInvalidParameter, "MaxAggregationInterval",
			"Invalid Flow Log Max Aggregation Interval",
			fmt.Sprintf("set MaxAggregationInterval to %d: only 60 and 600 seconds are supported", near))
	}
}

// checkLogFormatSyntax applies the syntax half of section 4 item 9: fields
// "${name}" separated by single spaces. The message is AWS's request
// validation text [I]; code GUESS InvalidParameterValue (it maps to
// InvalidRequest [H][I]).
func (c *checker) checkLogFormatSyntax() {
	raw, has := c.props["LogFormat"]
	if !has || raw == nil {
		return
	}
	f, isString := raw.(string)
	if !isString {
		f = fmt.Sprint(raw)
	}
	if _, err := LogFormatFields(f); err != nil || !isString {
		c.logFormatBad = true
		fix := "write LogFormat as ${field} tokens separated by single spaces, e.g. \"${srcaddr} ${dstaddr} ${action}\""
		if err != nil {
			fix = "fix LogFormat (" + err.Error() + "): write ${field} tokens separated by single spaces"
			if t := strings.TrimSpace(f); t != f {
				if _, err2 := LogFormatFields(t); err2 == nil {
					fix = "remove the leading or trailing spaces from LogFormat"
				}
			}
		}
		c.add(codeInvalidParameterValue, "LogFormat",
			fmt.Sprintf("1 validation error detected: Value '%s' at 'logFormat' has an invalid format", f), fix)
	}
}

// checkLogFormatFields applies the field half of section 4 item 9: every
// field must be a documented record field [D]. The field list is open-ended
// (see [KnownField]) and the error for an unknown field is GUESS.
func (c *checker) checkLogFormatFields() {
	f, has := c.str("LogFormat")
	if !has || c.logFormatBad {
		return
	}
	fields, err := LogFormatFields(f)
	if err != nil {
		return
	}
	seen := map[string]bool{}
	for _, name := range fields {
		if KnownField(name) || seen[name] {
			continue
		}
		seen[name] = true
		fix := fmt.Sprintf("remove ${%s} from LogFormat; see the flow log record fields in the VPC user guide", name)
		if s := suggestField(name); s != "" {
			fix = fmt.Sprintf("in LogFormat, replace ${%s} with %s, or remove it", name, s)
		}
		c.add(codeInvalidParameter, "LogFormat",
			fmt.Sprintf("Unknown fields provided in LogFormat: ${%s}", name), fix)
	}
}

// checkDestinationOptions applies section 4 item 10: DestinationOptions
// applies to s3 [D]; refusing it elsewhere is GUESS.
func (c *checker) checkDestinationOptions(dt string) {
	v, has := c.props["DestinationOptions"]
	if !has || v == nil || dt == "" || destinationOptionsDestinations[dt] {
		return
	}
	c.add(codeInvalidParameter, "DestinationOptions",
		"DestinationOptions is not applicable for "+dt+" delivery",
		"remove DestinationOptions: file format and partitioning only apply to s3 delivery")
}

// logDestinationFix explains what LogDestination should hold for dt, with a
// special case for the common mistake of writing the destination type into
// LogDestination.
func logDestinationFix(ld, dt string, hasLogGroupName bool) string {
	example := map[string]string{
		typeCloudWatchLogs: "arn:aws:logs:REGION:ACCOUNT:log-group:NAME",
		typeS3:             "arn:aws:s3:::BUCKET or arn:aws:s3:::BUCKET/PREFIX/",
		typeFirehose:       "arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME",
	}[dt]
	if canon, ok := canonical(strings.TrimSpace(ld), destinationTypes); ok {
		switch {
		case canon == typeCloudWatchLogs && hasLogGroupName:
			return fmt.Sprintf("LogDestination takes an ARN, not a destination type: remove LogDestination (LogGroupName is enough) and, if you meant the type, set LogDestinationType to %s", canon)
		default:
			return fmt.Sprintf("LogDestination takes an ARN, not a destination type: set LogDestinationType to %s and LogDestination to %s", canon, example)
		}
	}
	return fmt.Sprintf("set LogDestination to an ARN of the form %s", example)
}

// str returns props[prop] as a string and whether it is present. Empty
// strings count as absent; a non-string value is rendered with fmt so that
// it is reported rather than ignored.
func str(props map[string]any, prop string) (string, bool) {
	v, ok := props[prop]
	if !ok || v == nil {
		return "", false
	}
	s, isString := v.(string)
	if !isString {
		s = fmt.Sprint(v)
	}
	return s, s != ""
}

// toInt converts the number types JSON decoding produces to int64; ok is
// false for anything that is not a whole number.
func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint:
		return int64(n), true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint64:
		if n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case float32:
		return floatToInt(float64(n))
	case float64:
		return floatToInt(n)
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		if f, err := n.Float64(); err == nil {
			return floatToInt(f)
		}
	}
	return 0, false
}

func floatToInt(f float64) (int64, bool) {
	if f != math.Trunc(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// canonical finds v in options, first exactly, then ignoring case and
// surrounding space, so that "S3" is known to mean "s3".
func canonical(v string, options []string) (string, bool) {
	for _, o := range options {
		if o == v {
			return o, true
		}
	}
	t := strings.TrimSpace(v)
	for _, o := range options {
		if strings.EqualFold(o, t) {
			return o, true
		}
	}
	return "", false
}

// enumFix suggests the valid value closest to v.
func enumFix(prop, v string, options []string) string {
	if canon, ok := canonical(v, options); ok {
		return fmt.Sprintf("set %s to %q: values are case-sensitive", prop, canon)
	}
	if s := closest(strings.ToLower(v), options, 3); s != "" {
		return fmt.Sprintf("set %s to %q (did you mean it?); valid values: %s", prop, s, strings.Join(options, ", "))
	}
	return fmt.Sprintf("set %s to one of %s", prop, strings.Join(options, ", "))
}

// closest returns the option nearest to v by edit distance (ignoring case),
// or "" when none is within max edits.
func closest(v string, options []string, max int) string {
	best, bestD := "", max+1
	for _, o := range options {
		if d := textdist.Levenshtein(v, strings.ToLower(o)); d < bestD {
			best, bestD = o, d
		}
	}
	return best
}
