package localcc

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/athanor-iac/athanor/schema"
)

// typeHandler is what a resource type does when its requests complete,
// like the CloudFormation resource handlers behind Cloud Control. All
// methods run with the server lock held.
type typeHandler interface {
	// create returns the stored model of a new resource, or a failure.
	// sp is the account and region the resource is made in.
	create(s *Server, sp Scope, sc *schema.Schema, desired map[string]any, requestToken string) (map[string]any, *handlerFailure)
	// read returns a fresh copy of what a read reports.
	read(s *Server, sc *schema.Schema, res *resource) map[string]any
	// update changes res to desired (the patched read model).
	update(s *Server, sc *schema.Schema, res *resource, desired map[string]any) *handlerFailure
	// delete checks that res (nil when absent) can be deleted; the server
	// removes it on success.
	delete(s *Server, sp Scope, sc *schema.Schema, res *resource, id string) *handlerFailure
}

func (s *Server) handlerFor(typeName string) typeHandler {
	if typeName == flowLogType {
		return flowLogHandler{}
	}
	return genericHandler{}
}

// reference says that a property of one type holds the identifier of a
// resource of another type, which must exist when the first is created and
// which cannot be deleted while the first refers to it (EC2's
// DependencyViolation).
type reference struct {
	Prop, Target, Noun string
}

var references = map[string][]reference{
	"AWS::EC2::Subnet":                   {{"VpcId", "AWS::EC2::VPC", "vpc ID"}},
	"AWS::EC2::NetworkInterface":         {{"SubnetId", "AWS::EC2::Subnet", "subnet ID"}},
	"AWS::EC2::SecurityGroup":            {{"VpcId", "AWS::EC2::VPC", "vpc ID"}},
	"AWS::EC2::RouteTable":               {{"VpcId", "AWS::EC2::VPC", "vpc ID"}},
	"AWS::EC2::TransitGatewayAttachment": {{"TransitGatewayId", "AWS::EC2::TransitGateway", "transit gateway ID"}, {"VpcId", "AWS::EC2::VPC", "vpc ID"}},
}

// genericHandler serves every type from its schema alone: it stores what
// was asked, fills in read-only properties and identifiers, and refuses
// duplicates.
type genericHandler struct{}

func (genericHandler) create(s *Server, sp Scope, sc *schema.Schema, m map[string]any, token string) (map[string]any, *handlerFailure) {
	for _, ref := range references[sc.TypeName] {
		id, _ := m[ref.Prop].(string)
		if id != "" && s.find(sp, ref.Target, id) == nil {
			return nil, ec2Failure("GeneralServiceException", token, "The %s '%s' does not exist", ref.Noun, id)
		}
	}
	s.fillReadOnly(sp, sc, m)
	if sc.TypeName == "AWS::EC2::NetworkInterface" {
		if sub := s.find(sp, "AWS::EC2::Subnet", str(m, "SubnetId")); sub != nil {
			m["VpcId"] = sub.Model["VpcId"]
		}
	}
	return m, nil
}

func (genericHandler) read(s *Server, sc *schema.Schema, res *resource) map[string]any {
	return cloneModel(res.Model)
}

func (genericHandler) update(s *Server, sc *schema.Schema, res *resource, desired map[string]any) *handlerFailure {
	next := cloneModel(desired)
	for _, name := range sc.ReadOnlyNames() {
		if v, ok := res.Model[name]; ok {
			next[name] = v
		}
	}
	// Write-only values are not read back; an update that does not resend
	// one leaves it as it was.
	for _, name := range sc.WriteOnlyNames() {
		if _, ok := next[name]; !ok {
			if v, ok := res.Model[name]; ok {
				next[name] = v
			}
		}
	}
	res.Model = next
	return nil
}

func (genericHandler) delete(s *Server, sp Scope, sc *schema.Schema, res *resource, id string) *handlerFailure {
	if res == nil {
		return notFound(sc.TypeName, id)
	}
	if dep := s.dependent(sp, sc.TypeName, id); dep != "" {
		return fail("ResourceConflict", "DependencyViolation: %s %s has dependencies and cannot be deleted: %s still refers to it. Delete that first.", sc.TypeName, id, dep)
	}
	return nil
}

// dependent names a resource of sp that refers to (typeName, id), or "".
func (s *Server) dependent(sp Scope, typeName, id string) string {
	var found []string
	for from, refs := range references {
		for _, ref := range refs {
			if ref.Target != typeName {
				continue
			}
			for rid, r := range s.store(sp, from, false) {
				if r.Model[ref.Prop] == id {
					found = append(found, from+" "+rid)
				}
			}
		}
	}
	for fid, fl := range s.store(sp, flowLogType, false) {
		if fl.Model["ResourceId"] == id {
			found = append(found, flowLogType+" "+fid)
		}
	}
	sort.Strings(found)
	if len(found) == 0 {
		return ""
	}
	return found[0]
}

func str(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return v
}

// propType reads a top-level property's JSON type from the schema,
// following one local $ref.
func propType(sc *schema.Schema, name string) string {
	raw, ok := sc.Properties[name]
	if !ok {
		return ""
	}
	var p struct {
		Type any    `json:"type"`
		Ref  string `json:"$ref"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return ""
	}
	if p.Ref != "" {
		def, ok := sc.Definitions[strings.TrimPrefix(p.Ref, "#/definitions/")]
		if !ok || json.Unmarshal(def, &p) != nil {
			return ""
		}
	}
	if t, ok := p.Type.(string); ok {
		return t
	}
	return ""
}

// arnNameProps names the property arnFor builds each type's ARN from.
var arnNameProps = map[string]string{
	"AWS::IAM::Role":                       "RoleName",
	"AWS::IAM::ManagedPolicy":              "ManagedPolicyName",
	"AWS::S3::Bucket":                      "BucketName",
	"AWS::Logs::LogGroup":                  "LogGroupName",
	"AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
	"AWS::SNS::Topic":                      "TopicName",
	"AWS::SQS::Queue":                      "QueueName",
	"AWS::Lambda::Function":                "FunctionName",
}

// fillReadOnly generates the read-only properties of a new resource and
// the name-like primary identifier the caller left out, in AWS's formats
// where they are known.
func (s *Server) fillReadOnly(sp Scope, sc *schema.Schema, m map[string]any) {
	for _, name := range sc.PrimaryIdentifierNames() {
		if _, ok := m[name]; !ok && !sc.IsReadOnly("/properties/"+name) && propType(sc, name) == "string" {
			m[name] = s.generatedName(sc.TypeName)
		}
	}
	// Types whose ARN (and so, for some, primary identifier) is built from
	// a name property get a generated name when it was left out, as
	// CloudFormation does; otherwise every unnamed one would share one ARN.
	if prop, ok := arnNameProps[sc.TypeName]; ok {
		if _, has := m[prop]; !has && propType(sc, prop) == "string" {
			m[prop] = s.generatedName(sc.TypeName)
		}
	}
	var arns []string
	for _, name := range sc.ReadOnlyNames() {
		if _, ok := m[name]; ok {
			continue
		}
		switch t := propType(sc, name); {
		case t == "string" && strings.HasSuffix(name, "Arn") || t == "string" && strings.HasSuffix(name, "ARN"):
			arns = append(arns, name)
		case t == "string":
			m[name] = s.generatedValue(sp, sc.TypeName, name)
		case t == "array":
			m[name] = []any{}
		}
	}
	id, _ := sc.Identifier(m)
	for _, name := range arns {
		m[name] = s.arnFor(sp, sc.TypeName, m, id)
	}
}

func (s *Server) generatedValue(sp Scope, typeName, prop string) string {
	if p, ok := idPrefixes[typeName+"/"+prop]; ok {
		return p + randHex(s.rng, 17)
	}
	switch {
	case typeName == "AWS::IAM::Role" && prop == "RoleId":
		return "AROA" + randUpper(s.rng, 17)
	case prop == "WebsiteURL":
		// The schema gives it format uri, which an update's validation of
		// the read model checks: it needs a scheme.
		return fmt.Sprintf("http://%s.s3-website-%s.amazonaws.com", randHex(s.rng, 12), sp.Region)
	case strings.HasSuffix(prop, "DomainName"):
		return fmt.Sprintf("%s.%s.amazonaws.com", randHex(s.rng, 12), service(typeName))
	case prop == "Id" || strings.HasSuffix(prop, "Id"):
		return resourceWord(typeName)[:min(4, len(resourceWord(typeName)))] + "-" + randHex(s.rng, 17)
	}
	return strings.ToLower(prop) + "-" + randHex(s.rng, 12)
}

// ec2Failure words an EC2 error as the FlowLog and other EC2 handlers
// surface it: EC2's message with the service, status and request ID.
func ec2Failure(code, token, format string, args ...any) *handlerFailure {
	return fail(code, "%s (Service: Ec2, Status Code: 400, Request ID: %s)", fmt.Sprintf(format, args...), token)
}
