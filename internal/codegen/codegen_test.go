package codegen

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/schema"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the generator's output")

// source serves the embedded schemas, some of them trimmed, plus the
// made-up ones in testdata.
type source struct {
	types map[string]*schema.Schema
}

func (s *source) TypeNames() []string {
	out := make([]string, 0, len(s.types))
	for t := range s.types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func (s *source) Lookup(t string) (*schema.Schema, error) {
	sc, ok := s.types[t]
	if !ok {
		return nil, schema.ErrTypeNotFound
	}
	return sc, nil
}

// trimmed returns the embedded schema of t with only the given top-level
// properties: the generator then writes only the definitions they reach.
func trimmed(t *testing.T, typeName string, keep ...string) *schema.Schema {
	t.Helper()
	sc, err := schema.Default().Lookup(typeName)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(sc.Raw, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc["properties"].(map[string]any)
	want := map[string]bool{}
	for _, k := range keep {
		want[k] = true
	}
	for k := range props {
		if !want[k] {
			delete(props, k)
		}
	}
	b, _ := json.Marshal(doc)
	out, err := schema.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func testSource(t *testing.T) *source {
	t.Helper()
	s := &source{types: map[string]*schema.Schema{}}
	for _, typeName := range []string{"AWS::EC2::FlowLog", "AWS::IAM::Role", "AWS::Logs::LogGroup"} {
		sc, err := schema.Default().Lookup(typeName)
		if err != nil {
			t.Fatal(err)
		}
		s.types[typeName] = sc
	}
	s.types["AWS::S3::Bucket"] = trimmed(t, "AWS::S3::Bucket", "Arn", "BucketName", "LifecycleConfiguration", "NotificationConfiguration", "Tags", "VersioningConfiguration")
	files, _ := filepath.Glob("testdata/*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := schema.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		s.types[sc.TypeName] = sc
	}
	return s
}

// TestGolden compares the generated files with testdata/*.golden; run
// `go test ./internal/codegen -update` to accept a change.
func TestGolden(t *testing.T) {
	src := testSource(t)
	files, err := Generate(src, src.TypeNames())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Join("testdata", strings.ReplaceAll(f.Path, "/", "_")+".golden")
		seen[name] = true
		if *update {
			if err := os.WriteFile(name, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s: %v (run with -update)", f.Path, err)
			continue
		}
		if !bytes.Equal(want, f.Data) {
			t.Errorf("%s differs from %s (run with -update to accept):\n%s", f.Path, name, firstDiff(string(want), string(f.Data)))
		}
	}
	goldens, _ := filepath.Glob("testdata/*.golden")
	for _, g := range goldens {
		if !seen[g] {
			t.Errorf("%s is generated no more; delete it", g)
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + itoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return ""
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// A type's file is the same whether it is generated alone or with every
// other type of its service, so that generating on demand never renames
// anything.
func TestSubsetGivesSameFiles(t *testing.T) {
	reg := schema.Default()
	all, err := Generate(reg, typesOf(reg, "AWS::EC2::"))
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string][]byte{}
	for _, f := range all {
		byPath[f.Path] = f.Data
	}
	for _, typeName := range []string{"AWS::EC2::FlowLog", "AWS::EC2::VPC", "AWS::EC2::VPCEndpoint", "AWS::EC2::SecurityGroup"} {
		one, err := Generate(reg, []string{typeName})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range one {
			if !bytes.Equal(byPath[f.Path], f.Data) {
				t.Errorf("%s: %s differs when generated alone", typeName, f.Path)
			}
		}
	}
}

func typesOf(reg Source, prefix string) []string {
	var out []string
	for _, t := range reg.TypeNames() {
		if strings.HasPrefix(t, prefix) {
			out = append(out, t)
		}
	}
	return out
}

// Every embedded schema generates code that parses, with unique file names
// per package; compiling it is left to `go build ./aws/...`.
func TestEveryType(t *testing.T) {
	reg := schema.Default()
	files, err := Generate(reg, reg.TypeNames())
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	for _, f := range files {
		if paths[f.Path] {
			t.Errorf("%s written twice", f.Path)
		}
		paths[f.Path] = true
		if !bytes.HasPrefix(f.Data, []byte(Header)) {
			t.Errorf("%s lacks the generated-code header", f.Path)
		}
	}
	if n := len(files) - len(Services(reg.TypeNames())); n != len(reg.TypeNames()) {
		t.Errorf("%d type files for %d types", n, len(reg.TypeNames()))
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"FlowLog": "flow_log", "VPC": "vpc", "VPCEndpoint": "vpc_endpoint", "EC2Fleet": "ec2_fleet",
		"SubnetIpv6CidrBlock": "subnet_ipv6_cidr_block", "IPAMPool": "ipam_pool", "Route53": "route53",
		"GraphQLApi": "graphql_api", "LocationFSxOntap": "location_fsx_ontap", "LocationFSxWindows": "location_fsx_windows",
		"OAuth2CredentialProvider": "oauth2_credential_provider", "OTelEnrichment": "otel_enrichment",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"Test": "test_type.go", "Windows": "windows_type.go", "ClusterArm64": "cluster_arm64_type.go", "Doc": "doc_type.go", "FlowLog": "flow_log.go",
	} {
		if got := fileName(in); got != want {
			t.Errorf("fileName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"ALL": "All", "cloud-watch-logs": "CloudWatchLogs", "NetworkInterface": "NetworkInterface", "VPC": "Vpc",
		"plain-text": "PlainText", "v1.0": "V1_0", "t3.micro": "T3Micro", "*": "", "ipv4": "Ipv4",
	} {
		if got := enumValueName(in); got != want {
			t.Errorf("enumValueName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"EC2": "ec2", "KinesisFirehose": "kinesisfirehose", "Go": "gosvc", "3D": "aws3d", "Internal": "internalsvc"} {
		if got := packageName(in); got != want {
			t.Errorf("packageName(%q) = %q, want %q", in, got, want)
		}
	}
}
