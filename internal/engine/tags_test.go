package engine

import (
	"testing"

	"github.com/athanor-iac/athanor/schema"
)

// The tag property and its shape come from each schema's tagging block.
func TestTagProperty(t *testing.T) {
	cases := []struct {
		typ   string
		name  string
		shape tagShape
	}{
		{"AWS::S3::Bucket", "Tags", tagList},
		{"AWS::EFS::FileSystem", "FileSystemTags", tagList},
		{"AWS::SSM::Parameter", "Tags", tagMap},
		{"AWS::Glue::Job", "Tags", tagMap}, // a bare "type": "object"
		{"AWS::CloudFront::AnycastIpList", "", noTags},
		{"AWS::EC2::CapacityReservation", "", noTags}, // TagSpecifications/*/Tags
		{"AWS::AppStream::ImageBuilder", "", noTags},  // has Tags, taggable: false
		{"AWS::IAM::Group", "", noTags},
	}
	for _, c := range cases {
		sc, err := schema.Default().Lookup(c.typ)
		if err != nil {
			t.Fatal(err)
		}
		if name, shape := tagProperty(sc); name != c.name || shape != c.shape {
			t.Errorf("%s: tag property %q shape %d, want %q shape %d", c.typ, name, shape, c.name, c.shape)
		}
	}
}

// Defaults go into the type's own tag shape, lose to the resource's tags,
// and stay off an existing resource whose tags are createOnly.
func TestWithDefaultTags(t *testing.T) {
	defaults := map[string]string{"Team": "net", "Env": "default"}
	bucket, _ := schema.Default().Lookup("AWS::S3::Bucket")
	got := withDefaultTags(bucket, map[string]any{"Tags": tags("Env", "prod")}, defaults, true)
	if canonical(got["Tags"]) != canonical(tags("Env", "prod", "Team", "net")) {
		t.Errorf("bucket tags %s", canonical(got["Tags"]))
	}
	param, _ := schema.Default().Lookup("AWS::SSM::Parameter")
	got = withDefaultTags(param, map[string]any{"Type": "String"}, defaults, false)
	if canonical(got["Tags"]) != `{"Env":"default","Team":"net"}` {
		t.Errorf("parameter tags %s", canonical(got["Tags"]))
	}
	var createOnly *schema.Schema
	for _, name := range schema.Default().TypeNames() {
		sc, _ := schema.Default().Lookup(name)
		if n, shape := tagProperty(sc); shape == tagList && sc.IsCreateOnly("/properties/"+n) {
			createOnly = sc
			break
		}
	}
	if createOnly == nil {
		t.Fatal("no type with createOnly list tags")
	}
	name, _ := tagProperty(createOnly)
	if got := withDefaultTags(createOnly, map[string]any{}, defaults, true); got[name] != nil {
		t.Errorf("%s: an existing resource got default tags %v, which would replace it", createOnly.TypeName, got[name])
	}
	if got := withDefaultTags(createOnly, map[string]any{}, defaults, false); got[name] == nil {
		t.Errorf("%s: a new resource got no default tags", createOnly.TypeName)
	}
}
