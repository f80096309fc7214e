package localcc_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor/localcc"
)

// localTarget is a target on the local endpoint only (never real AWS),
// with a ManualClock, 1 s latency and the seed fixtures.
func localTarget(t *testing.T, opts localcc.Options) *target {
	t.Helper()
	if opts.Latency == nil {
		opts.Latency = map[string]localcc.Range{"*": {Min: time.Second, Max: time.Second}}
	}
	srv, clock := startLocal(t, opts)
	return &target{cc: newClient(t, srv.URL()), local: srv, clock: clock, vpc: "vpc-12345678",
		bucket: "advanced-vpc-flow-logs", role: "arn:aws:iam::123456789012:role/FlowLogsDeliveryRole", account: "123456789012"}
}

func (tg *target) mustGetErr(t *testing.T, typeName, id string) error {
	t.Helper()
	_, err := tg.cc.GetResource(context.Background(), &cloudcontrol.GetResourceInput{TypeName: aws.String(typeName), Identifier: aws.String(id)})
	if err == nil {
		t.Fatalf("GetResource %s %s succeeded", typeName, id)
	}
	return err
}

func (tg *target) deleteAndSettle(t *testing.T, typeName, id string) *types.ProgressEvent {
	t.Helper()
	out, err := tg.cc.DeleteResource(context.Background(), &cloudcontrol.DeleteResourceInput{TypeName: aws.String(typeName), Identifier: aws.String(id)})
	if err != nil {
		t.Fatalf("DeleteResource %s: %v", id, err)
	}
	return tg.settle(t, out.ProgressEvent)
}

func TestGenericLogGroup(t *testing.T) {
	tg := localTarget(t, localcc.Options{})
	const lg = "AWS::Logs::LogGroup"
	first := tg.create(t, lg, map[string]any{"LogGroupName": "app-logs", "RetentionInDays": 7}, "")
	if aws.ToString(first.Identifier) != "app-logs" || first.OperationStatus != types.OperationStatusInProgress {
		t.Fatalf("first event: %s identifier %q", first.OperationStatus, aws.ToString(first.Identifier))
	}
	done := tg.settle(t, first)
	if done.OperationStatus != types.OperationStatusSuccess || aws.ToString(done.Identifier) != "app-logs" {
		t.Fatalf("create: %s %s %s", done.OperationStatus, done.ErrorCode, aws.ToString(done.StatusMessage))
	}
	m := tg.get(t, lg, "app-logs")
	if m["Arn"] != "arn:aws:logs:us-east-1:123456789012:log-group:app-logs:*" || m["LogGroupName"] != "app-logs" || m["RetentionInDays"] != float64(7) {
		t.Fatalf("read %v", m)
	}

	// A second log group of the same name fails AlreadyExists.
	dup := tg.settle(t, tg.create(t, lg, map[string]any{"LogGroupName": "app-logs"}, ""))
	wantFailed(t, dup, types.HandlerErrorCodeAlreadyExists, "app-logs")

	// RetentionInDays changes by patch.
	ev, err := tg.update(t, lg, "app-logs", []map[string]any{{"op": "replace", "path": "/RetentionInDays", "value": 90}})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Operation != types.OperationUpdate {
		t.Fatalf("update event %s", ev.Operation)
	}
	if done := tg.settle(t, ev); done.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("update: %s %s", done.OperationStatus, aws.ToString(done.StatusMessage))
	}
	if m := tg.get(t, lg, "app-logs"); m["RetentionInDays"] != float64(90) || m["Arn"] == nil {
		t.Fatalf("after update %v", m)
	}

	// The name is createOnly; patching it is refused at once.
	_, err = tg.update(t, lg, "app-logs", []map[string]any{{"op": "replace", "path": "/LogGroupName", "value": "other"}})
	wantAPIError(t, err, "NotUpdatableException", "createOnlyProperties [/properties/LogGroupName]")
	var nu *types.NotUpdatableException
	if !errors.As(err, &nu) {
		t.Fatalf("%T is not a NotUpdatableException", err)
	}
	// The ARN is readOnly.
	_, err = tg.update(t, lg, "app-logs", []map[string]any{{"op": "replace", "path": "Arn", "value": "x"}})
	wantAPIError(t, err, "ValidationException", "readOnlyProperties [/properties/Arn]")
	// A patched model that breaks the schema is refused.
	_, err = tg.update(t, lg, "app-logs", []map[string]any{{"op": "replace", "path": "/RetentionInDays", "value": "ninety"}})
	wantAPIError(t, err, "ValidationException", "Model validation failed")
	if m := tg.get(t, lg, "app-logs"); m["RetentionInDays"] != float64(90) {
		t.Fatalf("refused patches changed the model: %v", m)
	}

	// Delete, then it is gone.
	if done := tg.deleteAndSettle(t, lg, "app-logs"); done.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("delete: %s", done.OperationStatus)
	}
	var nf *types.ResourceNotFoundException
	if err := tg.mustGetErr(t, lg, "app-logs"); !errors.As(err, &nf) {
		t.Fatalf("after delete: %v", err)
	}
	// Deleting it again fails NotFound.
	wantFailed(t, tg.deleteAndSettle(t, lg, "app-logs"), types.HandlerErrorCodeNotFound, "app-logs")
}

func TestGenericS3BucketGeneratedName(t *testing.T) {
	tg := localTarget(t, localcc.Options{})
	ev := tg.create(t, "AWS::S3::Bucket", map[string]any{}, "")
	done := tg.settle(t, ev)
	name := aws.ToString(done.Identifier)
	if done.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("create: %s %s", done.OperationStatus, aws.ToString(done.StatusMessage))
	}
	// S3's rules: 3 to 63 characters, lower case letters, digits, dots
	// and hyphens, starting and ending with a letter or digit.
	if !regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`).MatchString(name) {
		t.Fatalf("generated bucket name %q is not a valid bucket name", name)
	}
	m := tg.get(t, "AWS::S3::Bucket", name)
	if m["BucketName"] != name || m["Arn"] != "arn:aws:s3:::"+name {
		t.Fatalf("read %v", m)
	}
	if dn, _ := m["DomainName"].(string); !strings.HasSuffix(dn, ".amazonaws.com") {
		t.Errorf("DomainName %v", m["DomainName"])
	}
	// Two unnamed buckets get different names.
	other := tg.settle(t, tg.create(t, "AWS::S3::Bucket", map[string]any{}, ""))
	if other.OperationStatus != types.OperationStatusSuccess || aws.ToString(other.Identifier) == name {
		t.Fatalf("second bucket: %s %q", other.OperationStatus, aws.ToString(other.Identifier))
	}
}

func TestGenericVPCAndSubnet(t *testing.T) {
	tg := localTarget(t, localcc.Options{})
	vpc := tg.createOK(t, "AWS::EC2::VPC", map[string]any{"CidrBlock": "10.7.0.0/16"})
	if !regexp.MustCompile(`^vpc-[0-9a-f]{17}$`).MatchString(vpc) {
		t.Fatalf("VpcId %q", vpc)
	}
	if m := tg.get(t, "AWS::EC2::VPC", vpc); m["CidrBlock"] != "10.7.0.0/16" || m["VpcId"] != vpc {
		t.Fatalf("read %v", m)
	}
	subnet := tg.createOK(t, "AWS::EC2::Subnet", map[string]any{"VpcId": vpc, "CidrBlock": "10.7.1.0/24"})
	if !regexp.MustCompile(`^subnet-[0-9a-f]{17}$`).MatchString(subnet) {
		t.Fatalf("SubnetId %q", subnet)
	}
	if m := tg.get(t, "AWS::EC2::Subnet", subnet); m["VpcId"] != vpc || m["SubnetId"] != subnet {
		t.Fatalf("read %v", m)
	}

	// A subnet in a VPC that does not exist fails as EC2 does.
	bad := tg.settle(t, tg.create(t, "AWS::EC2::Subnet", map[string]any{"VpcId": "vpc-0000000000000dead", "CidrBlock": "10.8.1.0/24"}, ""))
	wantFailed(t, bad, types.HandlerErrorCodeGeneralServiceException, "vpc-0000000000000dead")

	// The VPC cannot go while the subnet refers to it.
	conflict := tg.deleteAndSettle(t, "AWS::EC2::VPC", vpc)
	wantFailed(t, conflict, types.HandlerErrorCodeResourceConflict, subnet)
	tg.get(t, "AWS::EC2::VPC", vpc)
	if done := tg.deleteAndSettle(t, "AWS::EC2::Subnet", subnet); done.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("delete subnet: %s %s", done.OperationStatus, aws.ToString(done.StatusMessage))
	}
	if done := tg.deleteAndSettle(t, "AWS::EC2::VPC", vpc); done.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("delete VPC after its subnet: %s %s", done.OperationStatus, aws.ToString(done.StatusMessage))
	}
	tg.mustGetErr(t, "AWS::EC2::VPC", vpc)
}

func TestGenericIAMRole(t *testing.T) {
	tg := localTarget(t, localcc.Options{})
	policy := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}}}
	ev := tg.create(t, "AWS::IAM::Role", map[string]any{"RoleName": "app-role", "AssumeRolePolicyDocument": policy}, "")
	if aws.ToString(ev.Identifier) != "app-role" {
		t.Fatalf("first event identifier %q", aws.ToString(ev.Identifier))
	}
	if done := tg.settle(t, ev); done.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("create: %s %s", done.OperationStatus, aws.ToString(done.StatusMessage))
	}
	m := tg.get(t, "AWS::IAM::Role", "app-role")
	if m["Arn"] != "arn:aws:iam::123456789012:role/app-role" {
		t.Fatalf("Arn %v", m["Arn"])
	}
	if id, _ := m["RoleId"].(string); !regexp.MustCompile(`^AROA[A-Z0-9]{17}$`).MatchString(id) {
		t.Fatalf("RoleId %v", m["RoleId"])
	}
	// A role with a path has it in its ARN.
	tg.createOK(t, "AWS::IAM::Role", map[string]any{"RoleName": "svc-role", "Path": "/service/", "AssumeRolePolicyDocument": policy})
	if m := tg.get(t, "AWS::IAM::Role", "svc-role"); m["Arn"] != "arn:aws:iam::123456789012:role/service/svc-role" {
		t.Fatalf("Arn %v", m["Arn"])
	}
	// The schema requires AssumeRolePolicyDocument.
	_, err := tg.cc.CreateResource(context.Background(), &cloudcontrol.CreateResourceInput{TypeName: aws.String("AWS::IAM::Role"), DesiredState: aws.String(`{"RoleName":"x"}`)})
	wantAPIError(t, err, "ValidationException", "required key [AssumeRolePolicyDocument] not found")
}

// storedModel reads a resource's stored model, write-only properties
// included, from the endpoint's data file.
func storedModel(t *testing.T, srv *localcc.Server, path, typeName, id string) map[string]any {
	t.Helper()
	if err := srv.Save(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Resources []struct {
			Type, Identifier string
			Model            map[string]any
		}
	}
	if err := json.Unmarshal(data, &snap); err != nil {
		t.Fatal(err)
	}
	for _, r := range snap.Resources {
		if r.Type == typeName && r.Identifier == id {
			return r.Model
		}
	}
	t.Fatalf("%s %s not in the data file", typeName, id)
	return nil
}

// Write-only properties are kept but never read back, and an update that
// does not resend them leaves them as they were.
func TestGenericWriteOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "local.json")
	tg := localTarget(t, localcc.Options{DataFile: path})

	vpc := tg.createOK(t, "AWS::EC2::VPC", map[string]any{"CidrBlock": "10.20.0.0/16", "Ipv4NetmaskLength": 16})
	if m := tg.get(t, "AWS::EC2::VPC", vpc); m["Ipv4NetmaskLength"] != nil || m["CidrBlock"] != "10.20.0.0/16" {
		t.Fatalf("read returns write-only Ipv4NetmaskLength: %v", m)
	}
	ev, err := tg.update(t, "AWS::EC2::VPC", vpc, []map[string]any{{"op": "add", "path": "/Tags", "value": []map[string]string{{"Key": "Name", "Value": "wo"}}}})
	if err != nil {
		t.Fatal(err)
	}
	done := tg.settle(t, ev)
	if done.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("update: %s %s", done.OperationStatus, aws.ToString(done.StatusMessage))
	}
	if strings.Contains(aws.ToString(done.ResourceModel), "Ipv4NetmaskLength") {
		t.Fatalf("update event returns the write-only property: %s", aws.ToString(done.ResourceModel))
	}
	if m := storedModel(t, tg.local, path, "AWS::EC2::VPC", vpc); m["Ipv4NetmaskLength"] != float64(16) || m["Tags"] == nil {
		t.Fatalf("stored model after update %v", m)
	}

	// An updatable write-only property: S3's AccessControl.
	bucket := tg.createOK(t, "AWS::S3::Bucket", map[string]any{"BucketName": "wo-bucket", "AccessControl": "Private"})
	if m := tg.get(t, "AWS::S3::Bucket", bucket); m["AccessControl"] != nil {
		t.Fatalf("read returns write-only AccessControl: %v", m)
	}
	lists, err := tg.cc.ListResources(context.Background(), &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::S3::Bucket")})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range lists.ResourceDescriptions {
		if strings.Contains(aws.ToString(d.Properties), "AccessControl") {
			t.Fatalf("list returns write-only AccessControl: %s", aws.ToString(d.Properties))
		}
	}
	ev, err = tg.update(t, "AWS::S3::Bucket", bucket, []map[string]any{{"op": "add", "path": "/Tags", "value": []map[string]string{{"Key": "a", "Value": "b"}}}})
	if err != nil {
		t.Fatal(err)
	}
	tg.settle(t, ev)
	if m := storedModel(t, tg.local, path, "AWS::S3::Bucket", bucket); m["AccessControl"] != "Private" {
		t.Fatalf("AccessControl lost by an update that did not resend it: %v", m)
	}
	ev, err = tg.update(t, "AWS::S3::Bucket", bucket, []map[string]any{{"op": "add", "path": "/AccessControl", "value": "LogDeliveryWrite"}})
	if err != nil {
		t.Fatal(err)
	}
	tg.settle(t, ev)
	if m := storedModel(t, tg.local, path, "AWS::S3::Bucket", bucket); m["AccessControl"] != "LogDeliveryWrite" {
		t.Fatalf("AccessControl not changed by an update that sent it: %v", m)
	}
}

func TestGenericUnknownTypeAndEmptyList(t *testing.T) {
	tg := localTarget(t, localcc.Options{})
	_, err := tg.cc.CreateResource(context.Background(), &cloudcontrol.CreateResourceInput{TypeName: aws.String("AWS::Nope::Thing"), DesiredState: aws.String("{}")})
	var tnf *types.TypeNotFoundException
	if !errors.As(err, &tnf) {
		t.Fatalf("got %v, want TypeNotFoundException", err)
	}
	_, err = tg.cc.ListResources(context.Background(), &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::Nope::Thing")})
	if !errors.As(err, &tnf) {
		t.Fatalf("list: got %v, want TypeNotFoundException", err)
	}

	out, err := tg.cc.ListResources(context.Background(), &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::SNS::Topic")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ResourceDescriptions) != 0 || out.NextToken != nil || aws.ToString(out.TypeName) != "AWS::SNS::Topic" {
		t.Fatalf("empty list: %d descriptions, NextToken %v, TypeName %v", len(out.ResourceDescriptions), out.NextToken, out.TypeName)
	}
	// On the wire: an empty array, not null, and no NextToken member.
	r := rawJSON(t, tg.local.URL(), "ListResources", map[string]any{"TypeName": "AWS::SNS::Topic"})
	if list, ok := r.JSON["ResourceDescriptions"].([]any); !ok || len(list) != 0 {
		t.Fatalf("ResourceDescriptions %s", r.Body)
	}
	if _, ok := r.JSON["NextToken"]; ok {
		t.Fatalf("NextToken on an empty list: %s", r.Body)
	}
}

// ListResources pages through a generic type with the SDK paginator,
// each resource once.
func TestGenericListPaging(t *testing.T) {
	tg := localTarget(t, localcc.Options{ListPageSize: 3})
	var last *types.ProgressEvent
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		last = tg.create(t, "AWS::SNS::Topic", map[string]any{"TopicName": "topic-" + n}, "")
	}
	tg.settle(t, last)
	seen := map[string]bool{}
	pages := 0
	p := cloudcontrol.NewListResourcesPaginator(tg.cc, &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::SNS::Topic")})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, d := range page.ResourceDescriptions {
			id := aws.ToString(d.Identifier)
			if seen[id] {
				t.Fatalf("%s listed twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != 7 || pages != 3 {
		t.Fatalf("%d topics in %d pages", len(seen), pages)
	}
}

// Types whose ARN is their identifier and is built from an optional name
// get a generated name, so that two unnamed ones are two resources.
func TestGenericGeneratedNamesInARNs(t *testing.T) {
	tg := localTarget(t, localcc.Options{})
	for _, tc := range []struct {
		typ    string
		props  map[string]any
		prefix string
	}{
		{"AWS::SNS::Topic", map[string]any{}, "arn:aws:sns:us-east-1:123456789012:"},
		{"AWS::IAM::ManagedPolicy", map[string]any{"PolicyDocument": map[string]any{"Version": "2012-10-17", "Statement": []any{}}}, "arn:aws:iam::123456789012:policy/"},
	} {
		a := tg.createOK(t, tc.typ, tc.props)
		b := tg.createOK(t, tc.typ, tc.props)
		if a == b || !strings.HasPrefix(a, tc.prefix) || len(a) <= len(tc.prefix) || !strings.HasPrefix(b, tc.prefix) {
			t.Errorf("%s: identifiers %q and %q", tc.typ, a, b)
		}
	}
}
