package athanor_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

// tagged declares a bucket (Key/Value list tags), a parameter (map tags)
// and two types that are not taggable under the app's default tags.
func tagged(defaults map[string]string) func(*athanor.App) error {
	return func(app *athanor.App) error {
		app.DefaultTags(defaults)
		if _, err := app.Resource("AWS::S3::Bucket", "bucket", map[string]any{"BucketName": "tagged-bucket",
			"Tags": []athanor.Tag{{Key: "Environment", Value: "prod"}}}); err != nil {
			return err
		}
		if _, err := app.Resource("AWS::SSM::Parameter", "param", map[string]any{"Name": "/tagged", "Type": "String", "Value": "v",
			"Tags": map[string]string{"Environment": "prod"}}); err != nil {
			return err
		}
		if _, err := app.Resource("AWS::IAM::Group", "group", map[string]any{"GroupName": "tagged-group"}); err != nil {
			return err
		}
		// Its schema has a Tags list, and says it is not taggable.
		_, err := app.Resource("AWS::AppStream::ImageBuilder", "builder", map[string]any{"Name": "untagged-builder", "InstanceType": "stream.standard.small", "ImageName": "AppStream-WinServer2019"})
		return err
	}
}

// props returns the properties of the resource of typeName with id.
func (e *env) props(typeName, id string) map[string]any {
	e.t.Helper()
	for _, r := range e.srv.Resources(typeName) {
		if r.Identifier == id {
			return r.Properties
		}
	}
	e.t.Fatalf("no %s %s on the endpoint", typeName, id)
	return nil
}

func canonicalJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Default tags reach every taggable type in its own tag shape, lose to the
// resource's own tags, leave other types alone, and cause no change on the
// next run.
func TestDefaultTags(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	defaults := map[string]string{"Owner": "platform", "Environment": "default"}
	if code, out := e.run(tagged(defaults)); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	bucketTags := map[string]string{}
	for _, tag := range e.props("AWS::S3::Bucket", "tagged-bucket")["Tags"].([]any) {
		m := tag.(map[string]any)
		bucketTags[m["Key"].(string)] = m["Value"].(string)
	}
	if want := map[string]string{"Owner": "platform", "Environment": "prod"}; canonicalJSON(bucketTags) != canonicalJSON(want) {
		t.Errorf("bucket tags %v, want %v", bucketTags, want)
	}
	if got, want := canonicalJSON(e.props("AWS::SSM::Parameter", "/tagged")["Tags"]), `{"Environment":"prod","Owner":"platform"}`; got != want {
		t.Errorf("parameter tags %s, want %s", got, want)
	}
	if tags, ok := e.props("AWS::IAM::Group", "tagged-group")["Tags"]; ok {
		t.Errorf("the group, which is not taggable, has tags %v", tags)
	}
	if tags, ok := e.props("AWS::AppStream::ImageBuilder", "untagged-builder")["Tags"]; ok {
		t.Errorf("the image builder, which is not taggable, has tags %v", tags)
	}
	if code, out := e.run(tagged(defaults), "plan"); code != 0 || !strings.Contains(out, "No changes") {
		t.Errorf("plan of the same program: exit %d, want no changes:\n%s", code, out)
	}
	defaults["Owner"] = "data"
	code, out := e.run(tagged(defaults), "plan")
	if code != 0 || !strings.Contains(out, "2 to update") || !strings.Contains(out, `"Owner","Value":"data"`) || strings.Contains(out, "group (") {
		t.Errorf("plan with a changed default: exit %d, want the bucket and the parameter updated:\n%s", code, out)
	}
	if code, out := e.run(tagged(map[string]string{"aws:owner": "x"}), "plan"); code != 1 || !strings.Contains(out, `"aws:owner"`) {
		t.Errorf("a reserved key: exit %d\n%s", code, out)
	}
}
