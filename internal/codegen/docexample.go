package codegen

import (
	"fmt"
	"go/token"
	"go/types"
	"strings"
	"unicode"
)

// exampleTypes names the most-used type of well-known services: their
// package documentation opens with an example of it. Other packages show
// their first type in alphabetical order, so every package's example is
// chosen the same way on every run.
var exampleTypes = map[string]string{
	"ApiGateway":             "RestApi",
	"AutoScaling":            "AutoScalingGroup",
	"CloudFront":             "Distribution",
	"CloudWatch":             "Alarm",
	"DynamoDB":               "Table",
	"EC2":                    "VPC",
	"ECR":                    "Repository",
	"ECS":                    "Cluster",
	"EKS":                    "Cluster",
	"ElasticLoadBalancingV2": "LoadBalancer",
	"Events":                 "Rule",
	"IAM":                    "Role",
	"KMS":                    "Key",
	"Kinesis":                "Stream",
	"Lambda":                 "Function",
	"Logs":                   "LogGroup",
	"RDS":                    "DBInstance",
	"Route53":                "HostedZone",
	"S3":                     "Bucket",
	"SNS":                    "Topic",
	"SQS":                    "Queue",
	"SSM":                    "Parameter",
	"SecretsManager":         "Secret",
	"StepFunctions":          "StateMachine",
}

// exampleType is the type the package documentation shows.
func (p *pkg) exampleType() *resourceType {
	if want, ok := exampleTypes[p.Service]; ok {
		for _, rt := range p.Types {
			if rt.TypeName == "AWS::"+p.Service+"::"+want {
				return rt
			}
		}
	}
	return p.Types[0] // buildPackage sorts them by type name
}

// docExample returns the package documentation's example: a program's
// declaration of the example type with its required properties, as Go
// statements in a function returning error, where app is the
// *athanor.App. TestDocExamplesCompile compiles every package's example.
func (p *pkg) docExample(rt *resourceType) []string {
	v := exampleVar(rt.Name, p.Name)
	lines := []string{fmt.Sprintf("%s, err := %s.%s(app, %q, %s.%s{", v, p.Name, rt.Name, v, p.Name, rt.PropsName)}
	width := 0
	for _, f := range rt.Props {
		if f.Required {
			width = max(width, len(f.GoName))
		}
	}
	for _, f := range rt.Props {
		if f.Required { // aligned as gofmt would
			lines = append(lines, fmt.Sprintf("\t%-*s %s,", width+1, f.GoName+":", p.exampleValue(rt, f)))
		}
	}
	if len(lines) == 1 {
		lines[0] += "})" // nothing is required: Props{}
	} else {
		lines = append(lines, "})")
	}
	lines = append(lines, "if err != nil {", "\treturn err", "}")
	if out := exampleOutput(rt); out != "" {
		lines = append(lines, fmt.Sprintf("app.Log(\"%s.%s = %%v\", %s.%s)", v, out, v, out))
	} else {
		lines = append(lines, fmt.Sprintf("app.Log(\"declared %%s\", %s.ResourceID())", v))
	}
	return lines
}

// exampleValue is a placeholder of f's type: an enum's first constant,
// "..." for other strings, an empty value of the rest.
func (p *pkg) exampleValue(rt *resourceType, f field) string {
	switch f.Type.kind {
	case kString:
		for _, d := range rt.Decls {
			if d.Enum && d.Doc == rt.PropsName+"."+f.GoName && len(d.Consts) > 0 {
				return p.Name + "." + d.Consts[0].Name
			}
		}
		return `"..."`
	case kInt, kFloat:
		return "1"
	case kBool:
		return "true"
	case kAny, kObject:
		return "map[string]any{}"
	case kStruct:
		return "&" + p.qualified(f.Type) + "{}"
	case kSlice:
		if f.Type.elem.kind == kString {
			return `[]string{"..."}`
		}
	}
	return p.qualified(f.Type) + "{}"
}

// qualified is t as written outside the package.
func (p *pkg) qualified(t *goType) string {
	switch t.kind {
	case kStruct:
		return p.Name + "." + t.name
	case kSlice:
		return "[]" + p.qualified(t.elem)
	case kMap:
		return "map[string]" + p.qualified(t.elem)
	}
	return t.expr()
}

// exampleOutput is the read-only property the example prints: the first
// that identifies the resource, else its ARN, else an ID, else the first.
func exampleOutput(rt *resourceType) string {
	for _, f := range rt.Outputs {
		for _, id := range rt.PrimaryID {
			if f.JSONName == id {
				return f.GoName
			}
		}
	}
	for _, suffix := range []string{"Arn", "Id"} {
		for _, f := range rt.Outputs {
			if strings.HasSuffix(f.GoName, suffix) {
				return f.GoName
			}
		}
	}
	if len(rt.Outputs) > 0 {
		return rt.Outputs[0].GoName
	}
	return ""
}

// exampleVar is the variable the example declares: the type's name in
// lower camel case (VPC → vpc, DBInstance → dbInstance), or res where
// that would clash with a keyword, a predeclared name, the package, or
// the example's app and err.
func exampleVar(typeName, pkgName string) string {
	r := []rune(typeName)
	n := 0
	for n < len(r) && unicode.IsUpper(r[n]) {
		n++
	}
	if n > 1 && n < len(r) && unicode.IsLower(r[n]) {
		n-- // DBInstance: the I starts the next word
	}
	if n == 0 {
		n = 1
	}
	v := strings.ToLower(string(r[:n])) + string(r[n:])
	switch {
	case token.IsKeyword(v), v == pkgName, v == "app", v == "err", v == "athanor", types.Universe.Lookup(v) != nil, !token.IsIdentifier(v):
		return "res"
	}
	return v
}

func hasRequired(rt *resourceType) bool {
	for _, f := range rt.Props {
		if f.Required {
			return true
		}
	}
	return false
}
