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
