package localcc

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

func (s *Server) lockedRand() *rand.Rand {
	// Request IDs need no repeatability; a fresh source avoids taking the
	// server lock on every call.
	return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
}

// newUUID returns a version-4 UUID drawn from rng, the form of Cloud
// Control's request tokens.
func newUUID(rng *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func randHex(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	var sb strings.Builder
	for range n {
		sb.WriteByte(digits[rng.IntN(16)])
	}
	return sb.String()
}

func randUpper(rng *rand.Rand, n int) string {
	return randFrom(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n)
}

// randFrom draws n characters of alphabet.
func randFrom(rng *rand.Rand, alphabet string, n int) string {
	var sb strings.Builder
	for range n {
		sb.WriteByte(alphabet[rng.IntN(len(alphabet))])
	}
	return sb.String()
}

// idPrefixes gives the identifier formats of EC2 and other services whose
// IDs have a documented prefix followed by 17 hexadecimal digits, keyed by
// type and read-only property.
var idPrefixes = map[string]string{
	"AWS::EC2::VPC/VpcId":                         "vpc-",
	"AWS::EC2::VPC/DefaultNetworkAcl":             "acl-",
	"AWS::EC2::VPC/DefaultSecurityGroup":          "sg-",
	"AWS::EC2::Subnet/SubnetId":                   "subnet-",
	"AWS::EC2::Subnet/NetworkAclAssociationId":    "aclassoc-",
	"AWS::EC2::NetworkInterface/Id":               "eni-",
	"AWS::EC2::FlowLog/Id":                        "fl-",
	"AWS::EC2::SecurityGroup/GroupId":             "sg-",
	"AWS::EC2::SecurityGroup/Id":                  "sg-",
	"AWS::EC2::InternetGateway/InternetGatewayId": "igw-",
	"AWS::EC2::RouteTable/RouteTableId":           "rtb-",
	"AWS::EC2::NatGateway/NatGatewayId":           "nat-",
	"AWS::EC2::TransitGateway/Id":                 "tgw-",
	"AWS::EC2::TransitGatewayAttachment/Id":       "tgw-attach-",
	"AWS::EC2::TransitGatewayVpcAttachment/Id":    "tgw-attach-",
	"AWS::EC2::EIP/AllocationId":                  "eipalloc-",
	"AWS::EC2::Instance/InstanceId":               "i-",
	"AWS::EC2::VPCEndpoint/Id":                    "vpce-",
	"AWS::EC2::NetworkAcl/Id":                     "acl-",
	"AWS::EC2::DHCPOptions/DhcpOptionsId":         "dopt-",
	"AWS::EC2::LaunchTemplate/LaunchTemplateId":   "lt-",
	"AWS::EC2::Volume/VolumeId":                   "vol-",
	"AWS::EC2::PrefixList/PrefixListId":           "pl-",
	"AWS::EC2::EgressOnlyInternetGateway/Id":      "eigw-",
	"AWS::EC2::VPCPeeringConnection/Id":           "pcx-",
	"AWS::EC2::CustomerGateway/CustomerGatewayId": "cgw-",
	"AWS::EC2::VPNGateway/VPNGatewayId":           "vgw-",
	"AWS::EC2::KeyPair/KeyPairId":                 "key-",
}

// service returns the ARN service name of a type: AWS::Logs::LogGroup →
// logs.
func service(typeName string) string {
	parts := strings.Split(typeName, "::")
	if len(parts) != 3 {
		return "unknown"
	}
	svc := strings.ToLower(parts[1])
	switch svc {
	case "kinesisfirehose":
		return "firehose"
	case "elasticloadbalancingv2":
		return "elasticloadbalancing"
	}
	return svc
}

func resourceWord(typeName string) string {
	parts := strings.Split(typeName, "::")
	return strings.ToLower(parts[len(parts)-1])
}

// arnFor builds the ARN of a resource in AWS's format for the types this
// endpoint knows, and a generic service-resource/id form for the rest.
func (s *Server) arnFor(sp Scope, typeName string, model map[string]any, id string) string {
	region, acct := sp.Region, sp.Account
	str := func(k string) string { v, _ := model[k].(string); return v }
	switch typeName {
	case "AWS::IAM::Role":
		path := str("Path")
		if path == "" {
			path = "/"
		}
		return fmt.Sprintf("arn:aws:iam::%s:role%s%s", acct, path, str("RoleName"))
	case "AWS::IAM::ManagedPolicy":
		return fmt.Sprintf("arn:aws:iam::%s:policy/%s", acct, str("ManagedPolicyName"))
	case "AWS::S3::Bucket":
		return "arn:aws:s3:::" + str("BucketName")
	case "AWS::Logs::LogGroup":
		return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", region, acct, str("LogGroupName"))
	case "AWS::KinesisFirehose::DeliveryStream":
		return fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", region, acct, str("DeliveryStreamName"))
	case "AWS::SNS::Topic":
		return fmt.Sprintf("arn:aws:sns:%s:%s:%s", region, acct, str("TopicName"))
	case "AWS::SQS::Queue":
		return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", region, acct, str("QueueName"))
	case "AWS::Lambda::Function":
		return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, acct, str("FunctionName"))
	case "AWS::EC2::TransitGateway":
		return fmt.Sprintf("arn:aws:ec2:%s:%s:transit-gateway/%s", region, acct, id)
	}
	if strings.HasPrefix(typeName, "AWS::EC2::") {
		return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", region, acct, resourceWord(typeName), id)
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", service(typeName), region, acct, resourceWord(typeName), id)
}

// generatedName makes a name for a resource whose name property was left
// out, as CloudFormation and Cloud Control do: a recognisable stem and a
// random suffix. S3 bucket names must be lower case.
func (s *Server) generatedName(typeName string) string {
	return "athanor-" + resourceWord(typeName) + "-" + randHex(s.rng, 12)
}

// randBase62 draws n letters and digits, the alphabet of secret keys and
// session tokens.
func randBase62(rng *rand.Rand, n int) string {
	return randFrom(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", n)
}
