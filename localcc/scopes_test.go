package localcc_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/athanor-iac/athanor/localcc"
)

// Three accounts: a hub whose Deploy roles the others' callers assume.
const (
	acctA = "111111111111"
	acctB = "222222222222"
	acctC = "333333333333"
)

func trustPolicy(principal string, cond map[string]any) map[string]any {
	st := map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": principal}, "Action": "sts:AssumeRole"}
	if cond != nil {
		st["Condition"] = cond
	}
	return map[string]any{"Version": "2012-10-17", "Statement": []any{st}}
}

// scopeFixtures declares roles in B and C: B's Deploy trusts account A, C's
// Deploy trusts A with an external ID, C's Locked trusts nobody it knows,
// and B's Long allows 12-hour sessions.
func scopeFixtures() []localcc.Fixture {
	role := func(acct, name string, trust map[string]any, extra ...any) localcc.Fixture {
		p := map[string]any{"RoleName": name, "AssumeRolePolicyDocument": trust}
		for i := 0; i < len(extra); i += 2 {
			p[extra[i].(string)] = extra[i+1]
		}
		return localcc.Fixture{Type: "AWS::IAM::Role", Account: acct, Properties: p}
	}
	return []localcc.Fixture{
		role(acctB, "Deploy", trustPolicy(acctA, nil)),
		role(acctB, "Long", trustPolicy("arn:aws:iam::"+acctA+":root", nil), "MaxSessionDuration", 43200),
		role(acctC, "Deploy", trustPolicy(acctA, map[string]any{"StringEquals": map[string]any{"sts:ExternalId": "ext-1234"}})),
		role(acctC, "Locked", trustPolicy("999999999999", nil)),
		// C trusts B's Deploy role itself, for role chaining.
		role(acctC, "Chained", trustPolicy("arn:aws:iam::"+acctB+":role/Deploy", nil), "MaxSessionDuration", 43200),
		{Type: "AWS::EC2::VPC", Account: acctB, Region: "eu-west-1", Properties: map[string]any{"VpcId": "vpc-0b0b0b0b", "CidrBlock": "10.2.0.0/16"}},
	}
}

// sdkConfig is a config for keys in region whose Cloud Control and STS
// calls go to the endpoint, found through the environment variables
// programs use.
func sdkConfig(t *testing.T, srvURL, key, region string) aws.Config {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_STS", srvURL)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", srvURL)
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(key, "secret", "")),
		config.WithRetryMaxAttempts(1),
		config.WithSharedConfigFiles([]string{filepath.Join(t.TempDir(), "none")}),
		config.WithSharedCredentialsFiles([]string{filepath.Join(t.TempDir(), "none")}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// assume returns cfg acting through roleARN, with the SDK's AssumeRole
// provider behind a credentials cache, as programs use it.
func assume(cfg aws.Config, roleARN, externalID string) aws.Config {
	prov := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN, func(o *stscreds.AssumeRoleOptions) {
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	})
	out := cfg.Copy()
	out.Credentials = aws.NewCredentialsCache(prov)
	return out
}

// createIn creates a log group through cc and waits for it.
func createIn(t *testing.T, cc *cloudcontrol.Client, clock *localcc.ManualClock, typeName, desired string) string {
	t.Helper()
	ctx := context.Background()
	out, err := cc.CreateResource(ctx, &cloudcontrol.CreateResourceInput{TypeName: aws.String(typeName), DesiredState: aws.String(desired)})
	if err != nil {
		t.Fatalf("create %s: %v", typeName, err)
	}
	clock.Advance(time.Second)
	st, err := cc.GetResourceRequestStatus(ctx, &cloudcontrol.GetResourceRequestStatusInput{RequestToken: out.ProgressEvent.RequestToken})
	if err != nil {
		t.Fatal(err)
	}
	if st.ProgressEvent.OperationStatus != "SUCCESS" {
		t.Fatalf("create %s: %s %s", typeName, st.ProgressEvent.OperationStatus, aws.ToString(st.ProgressEvent.StatusMessage))
	}
	return aws.ToString(st.ProgressEvent.Identifier)
}

func props(t *testing.T, s *string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(s)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("got %s: %s; want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

// A resource made in one account and region is invisible from another
// account or region, and its ARN names its own account and region.
func TestConformanceScopeIsolation(t *testing.T) {
	srv, clock := startLocal(t, localcc.Options{Account: acctA, Fixtures: scopeFixtures()})
	ctx := context.Background()
	home := cloudcontrol.NewFromConfig(sdkConfig(t, srv.URL(), "AKIDPLAIN", "eu-west-1"))
	id := createIn(t, home, clock, "AWS::Logs::LogGroup", `{"LogGroupName":"only-here"}`)
	got, err := home.GetResource(ctx, &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::Logs::LogGroup"), Identifier: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if arn := props(t, got.ResourceDescription.Properties)["Arn"]; arn != "arn:aws:logs:eu-west-1:"+acctA+":log-group:only-here:*" {
		t.Fatalf("ARN %v does not carry the account and region", arn)
	}
	for _, other := range []struct{ key, region string }{{"AKIDPLAIN", "us-east-1"}, {acctB, "eu-west-1"}} {
		cc := cloudcontrol.NewFromConfig(sdkConfig(t, srv.URL(), other.key, other.region))
		_, err := cc.GetResource(ctx, &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::Logs::LogGroup"), Identifier: aws.String(id)})
		wantCode(t, err, "ResourceNotFoundException", "only-here")
		list, err := cc.ListResources(ctx, &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::Logs::LogGroup")})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list.ResourceDescriptions {
			if aws.ToString(d.Identifier) == id {
				t.Fatalf("%s/%s lists %s made in %s/eu-west-1", other.key, other.region, id, acctA)
			}
		}
	}
	// A 12-digit key acts in that account: B sees its own VPC fixture in
	// its region only.
	b := cloudcontrol.NewFromConfig(sdkConfig(t, srv.URL(), acctB, "eu-west-1"))
	if _, err := b.GetResource(ctx, &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::EC2::VPC"), Identifier: aws.String("vpc-0b0b0b0b")}); err != nil {
		t.Fatalf("B's VPC fixture: %v", err)
	}
	if got := srv.ResourcesIn(localcc.Scope{Account: acctA, Region: "eu-west-1"}, "AWS::Logs::LogGroup"); len(got) != 1 {
		t.Fatalf("%d log groups in %s/eu-west-1", len(got), acctA)
	}
	// IAM is global: a role is seen from every region of its account.
	bUS := cloudcontrol.NewFromConfig(sdkConfig(t, srv.URL(), acctB, "us-west-2"))
	if _, err := bUS.GetResource(ctx, &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::IAM::Role"), Identifier: aws.String("Deploy")}); err != nil {
		t.Fatalf("B's role from us-west-2: %v", err)
	}
	// Request tokens belong to their scope too.
	out, err := home.CreateResource(ctx, &cloudcontrol.CreateResourceInput{TypeName: aws.String("AWS::Logs::LogGroup"), DesiredState: aws.String(`{"LogGroupName":"token"}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.GetResourceRequestStatus(ctx, &cloudcontrol.GetResourceRequestStatusInput{RequestToken: out.ProgressEvent.RequestToken})
	wantCode(t, err, "RequestTokenNotFoundException", aws.ToString(out.ProgressEvent.RequestToken))
}

// An assumed role's calls land in the role's account, and GetCallerIdentity
// names the session.
func TestConformanceAssumedRoleLandsInRoleAccount(t *testing.T) {
	srv, clock := startLocal(t, localcc.Options{Account: acctA, Fixtures: scopeFixtures()})
	ctx := context.Background()
	base := sdkConfig(t, srv.URL(), "AKIDPLAIN", "eu-west-1")
	me, err := sts.NewFromConfig(base).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(me.Account) != acctA || aws.ToString(me.Arn) != "arn:aws:iam::"+acctA+":root" {
		t.Fatalf("plain keys: account %s, arn %s", aws.ToString(me.Account), aws.ToString(me.Arn))
	}
	roleCfg := assume(base, "arn:aws:iam::"+acctB+":role/Deploy", "")
	who, err := sts.NewFromConfig(roleCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Account) != acctB || !strings.HasPrefix(aws.ToString(who.Arn), "arn:aws:sts::"+acctB+":assumed-role/Deploy/") {
		t.Fatalf("assumed: account %s, arn %s", aws.ToString(who.Account), aws.ToString(who.Arn))
	}
	creds, err := roleCfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccountID != acctB || !strings.HasPrefix(creds.AccessKeyID, "ASIA") || !creds.CanExpire {
		t.Fatalf("credentials: account %q key %q expires %v", creds.AccountID, creds.AccessKeyID, creds.CanExpire)
	}
	cc := cloudcontrol.NewFromConfig(roleCfg)
	createIn(t, cc, clock, "AWS::Logs::LogGroup", `{"LogGroupName":"made-by-role"}`)
	if got := srv.ResourcesIn(localcc.Scope{Account: acctB, Region: "eu-west-1"}, "AWS::Logs::LogGroup"); len(got) != 1 || got[0].Properties["Arn"] != "arn:aws:logs:eu-west-1:"+acctB+":log-group:made-by-role:*" {
		t.Fatalf("B's log groups: %v", got)
	}
	if got := srv.ResourcesIn(localcc.Scope{Account: acctA, Region: "eu-west-1"}, "AWS::Logs::LogGroup"); len(got) != 0 {
		t.Fatalf("the role's create landed in the caller's account: %v", got)
	}
	// The metrics say who signed it: the role's session, not the caller.
	if callers := srv.Metrics().Scopes[acctB+"/eu-west-1"].Callers; len(callers) != 1 || callers[aws.ToString(who.Arn)].Served["CreateResource"] != 1 {
		t.Fatalf("calls in B by caller: %v, want one CreateResource by %s", callers, aws.ToString(who.Arn))
	}
	if got := srv.Metrics().Scopes[acctA+"/eu-west-1"].Callers["arn:aws:iam::"+acctA+":root"].Served["GetCallerIdentity"]; got != 1 {
		t.Fatalf("A's root made %d GetCallerIdentity calls, want 1", got)
	}
	if _, err := cc.GetResource(ctx, &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::EC2::VPC"), Identifier: aws.String("vpc-0b0b0b0b")}); err != nil {
		t.Fatalf("the role does not see B's VPC: %v", err)
	}
	// With the external ID the role requires, C's Deploy role works too.
	cCfg := assume(base, "arn:aws:iam::"+acctC+":role/Deploy", "ext-1234")
	if who, err := sts.NewFromConfig(cCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil || aws.ToString(who.Account) != acctC {
		t.Fatalf("C with its external ID: %v %v", who, err)
	}
	// A session of B's Deploy role may assume C's Chained role, for an hour
	// at most.
	chained := assume(roleCfg, "arn:aws:iam::"+acctC+":role/Chained", "")
	if who, err := sts.NewFromConfig(chained).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil || aws.ToString(who.Account) != acctC {
		t.Fatalf("chained: %v %v", who, err)
	}
}

// AssumeRole refuses in STS's error shapes: AccessDenied for a missing,
// untrusting or condition-failing role, ValidationError for bad members.
func TestConformanceAssumeRoleRefusals(t *testing.T) {
	srv, _ := startLocal(t, localcc.Options{Account: acctA, Fixtures: scopeFixtures()})
	ctx := context.Background()
	base := sdkConfig(t, srv.URL(), "AKIDPLAIN", "us-east-1")
	client := sts.NewFromConfig(base)
	call := func(role, session, ext string, seconds int32) error {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String(session)}
		if ext != "" {
			in.ExternalId = aws.String(ext)
		}
		if seconds != 0 {
			in.DurationSeconds = aws.Int32(seconds)
		}
		_, err := client.AssumeRole(ctx, in)
		return err
	}
	denied := "User: arn:aws:iam::" + acctA + ":root is not authorized to perform: sts:AssumeRole on resource: "
	for _, role := range []string{
		"arn:aws:iam::" + acctB + ":role/Missing",  // no such role
		"arn:aws:iam::444444444444:role/Deploy",    // no such account
		"arn:aws:iam::" + acctC + ":role/Locked",   // trusts another account
		"arn:aws:iam::" + acctC + ":role/Deploy",   // needs an external ID
		"arn:aws:iam::" + acctB + ":role/x/Deploy", // wrong path
	} {
		wantCode(t, call(role, "s1", "", 0), "AccessDenied", denied+role)
	}
	wantCode(t, call("arn:aws:iam::"+acctC+":role/Deploy", "s1", "wrong-id", 0), "AccessDenied", denied)
	wantCode(t, call("arn:aws:iam::"+acctB+":role/Deploy", "bad name!", "", 0), "ValidationError",
		"1 validation error detected: Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
	wantCode(t, call("arn:aws:iam::"+acctB+":role/Deploy", "s", "", 600), "ValidationError", "2 validation errors detected")
	wantCode(t, call("arn:aws:iam::"+acctB+":role/Deploy", "s1", "", 7200), "ValidationError", "exceeds the MaxSessionDuration set for this role")
	if err := call("arn:aws:iam::"+acctB+":role/Long", "s1", "", 43200); err != nil {
		t.Fatalf("12 hours on a role that allows them: %v", err)
	}
	wantCode(t, call("not-an-arn-but-long-enough", "s1", "", 0), "ValidationError", "not-an-arn-but-long-enough is invalid")
	// Role chaining caps sessions at an hour.
	roleCfg := assume(base, "arn:aws:iam::"+acctB+":role/Deploy", "")
	_, err := sts.NewFromConfig(roleCfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acctC + ":role/Chained"), RoleSessionName: aws.String("cc"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError", "1 hour session limit for roles assumed by role chaining")
}

// STS's wire shapes: an XML ErrorResponse with Type Sender and a RequestId,
// read off the wire.
func TestSTSErrorShape(t *testing.T) {
	srv, _ := startLocal(t, localcc.Options{Account: acctA, Fixtures: scopeFixtures()})
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {"arn:aws:iam::" + acctB + ":role/Missing"}, "RoleSessionName": {"s1"}}
	resp := rawSTS(t, srv.URL(), form.Encode())
	if resp.status != 403 || !strings.Contains(resp.body, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>AccessDenied</Code>") || !strings.Contains(resp.body, "</Error><RequestId>") {
		t.Fatalf("status %d body %s", resp.status, resp.body)
	}
	resp = rawSTS(t, srv.URL(), "Action=GetSessionToken&Version=2011-06-15")
	if resp.status != 400 || !strings.Contains(resp.body, "<Code>InvalidAction</Code>") {
		t.Fatalf("unknown action: status %d body %s", resp.status, resp.body)
	}
}

// Each account and region has its own rate limit: throttling one scope
// leaves the others alone, and the metrics say which scope was throttled.
func TestScopeThrottle(t *testing.T) {
	hot := localcc.Scope{Account: acctB, Region: "eu-west-1"}
	srv, _ := startLocal(t, localcc.Options{Account: acctA, Fixtures: scopeFixtures(), ScopeThrottle: map[localcc.Scope]localcc.Throttle{hot: {RPS: 0.001, Burst: 2}}})
	ctx := context.Background()
	get := &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::EC2::VPC"), Identifier: aws.String("vpc-0b0b0b0b")}
	b := cloudcontrol.NewFromConfig(sdkConfig(t, srv.URL(), acctB, "eu-west-1"))
	bOther := cloudcontrol.NewFromConfig(sdkConfig(t, srv.URL(), acctB, "us-east-1"))
	a := cloudcontrol.NewFromConfig(sdkConfig(t, srv.URL(), acctA, "eu-west-1"))
	throttled := 0
	for range 5 {
		if _, err := b.GetResource(ctx, get); err != nil {
			wantCode(t, err, "ThrottlingException", "Rate exceeded")
			throttled++
		}
		if _, err := bOther.ListResources(ctx, &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::EC2::VPC")}); err != nil {
			t.Fatalf("another region of the throttled account: %v", err)
		}
		if _, err := a.ListResources(ctx, &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::EC2::VPC")}); err != nil {
			t.Fatalf("another account in the throttled region: %v", err)
		}
	}
	if throttled != 3 {
		t.Fatalf("%d of 5 calls throttled in %s, want 3 beyond the burst of 2", throttled, hot)
	}
	m := srv.Metrics()
	if got := m.Scopes[hot.String()]; got.Throttled != 3 || got.TotalCalls != 5 {
		t.Fatalf("metrics of %s: %+v", hot, got)
	}
	for _, sp := range []string{acctB + "/us-east-1", acctA + "/eu-west-1"} {
		if got := m.Scopes[sp]; got.Throttled != 0 || got.Calls["ListResources"] != 5 {
			t.Fatalf("metrics of %s: %+v", sp, got)
		}
	}
}

// With Regions set, a call signed for another region is refused, naming
// the regions served.
func TestRegionsRestricted(t *testing.T) {
	srv, _ := startLocal(t, localcc.Options{Account: acctA, Regions: []string{"us-east-1", "eu-west-1"}})
	ctx := context.Background()
	_, err := cloudcontrol.NewFromConfig(sdkConfig(t, srv.URL(), acctA, "ap-south-9")).ListResources(ctx, &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::EC2::VPC")})
	wantCode(t, err, "RegionDisabledException", "The region ap-south-9 is not enabled on this endpoint, which serves us-east-1, eu-west-1")
	_, err = sts.NewFromConfig(sdkConfig(t, srv.URL(), acctA, "ap-south-9")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "RegionDisabledException", "ap-south-9")
	if _, err := cloudcontrol.NewFromConfig(sdkConfig(t, srv.URL(), acctA, "eu-west-1")).ListResources(ctx, &cloudcontrol.ListResourcesInput{TypeName: aws.String("AWS::EC2::VPC")}); err != nil {
		t.Fatal(err)
	}
}

// Issued credentials are checked: a forged session token or secret is
// refused, and issued sessions survive a restart on a data file.
func TestAssumedCredentialsChecked(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "local.json")
	srv, _ := startLocal(t, localcc.Options{Account: acctA, Fixtures: scopeFixtures(), DataFile: data})
	ctx := context.Background()
	base := sdkConfig(t, srv.URL(), "AKIDPLAIN", "us-east-1")
	creds, err := assume(base, "arn:aws:iam::"+acctB+":role/Deploy", "").Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	with := func(c aws.Credentials) error {
		cfg := base.Copy()
		cfg.Credentials = credentials.StaticCredentialsProvider{Value: c}
		_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}
	forged := creds
	forged.SessionToken = "forged"
	wantCode(t, with(forged), "InvalidClientTokenId", "security token included in the request is invalid")
	forged = creds
	forged.SecretAccessKey = "guess"
	wantCode(t, with(forged), "SignatureDoesNotMatch", "signature")
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv2, err := localcc.Start(localcc.Options{Account: acctA, DataFile: data}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", srv2.URL())
	if err := with(creds); err != nil {
		t.Fatalf("issued credentials after a restart: %v", err)
	}
}

// The AWS CLI (botocore) and boto3 assume a role against the endpoint and
// see that account's resources. Skipped where they are not installed.
func TestCLIAndBoto3AssumeRole(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the CLI and python")
	}
	srv, err := localcc.Start(localcc.Options{Account: acctA, Fixtures: scopeFixtures()}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	none := filepath.Join(t.TempDir(), "none")
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDPLAIN", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=eu-west-1",
		"AWS_CONFIG_FILE="+none, "AWS_SHARED_CREDENTIALS_FILE="+none, "AWS_ENDPOINT_URL="+srv.URL())
	role := "arn:aws:iam::" + acctB + ":role/Deploy"
	t.Run("aws cli", func(t *testing.T) {
		cli, err := exec.LookPath("aws")
		if err != nil {
			t.Skip("the AWS CLI is not installed")
		}
		run := func(env []string, args ...string) string {
			t.Helper()
			cmd := exec.Command(cli, append([]string{"--endpoint-url", srv.URL(), "--output", "json"}, args...)...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return string(out)
		}
		var ar struct {
			Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
		}
		if err := json.Unmarshal([]byte(run(env, "sts", "assume-role", "--role-arn", role, "--role-session-name", "cli")), &ar); err != nil {
			t.Fatal(err)
		}
		roleEnv := append(append([]string(nil), env...), "AWS_ACCESS_KEY_ID="+ar.Credentials.AccessKeyId,
			"AWS_SECRET_ACCESS_KEY="+ar.Credentials.SecretAccessKey, "AWS_SESSION_TOKEN="+ar.Credentials.SessionToken)
		if got := run(roleEnv, "sts", "get-caller-identity"); !strings.Contains(got, `"Account": "`+acctB+`"`) {
			t.Fatalf("get-caller-identity as the role: %s", got)
		}
		if got := run(roleEnv, "cloudcontrol", "get-resource", "--type-name", "AWS::EC2::VPC", "--identifier", "vpc-0b0b0b0b"); !strings.Contains(got, "10.2.0.0/16") {
			t.Fatalf("get-resource as the role: %s", got)
		}
	})
	t.Run("boto3", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 is not installed")
		}
		if exec.Command(py, "-c", "import boto3").Run() != nil {
			t.Skip("boto3 is not installed")
		}
		script := `
import boto3, json, sys
url, role = sys.argv[1], sys.argv[2]
sts = boto3.client("sts", endpoint_url=url)
c = sts.assume_role(RoleArn=role, RoleSessionName="boto3")["Credentials"]
s = boto3.Session(aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"], region_name="eu-west-1")
who = s.client("sts", endpoint_url=url).get_caller_identity()
vpc = s.client("cloudcontrol", endpoint_url=url).get_resource(TypeName="AWS::EC2::VPC", Identifier="vpc-0b0b0b0b")
print(json.dumps({"account": who["Account"], "props": vpc["ResourceDescription"]["Properties"]}))
`
		cmd := exec.Command(py, "-c", script, srv.URL(), role)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("boto3: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), `"account": "`+acctB+`"`) || !strings.Contains(string(out), "10.2.0.0/16") {
			t.Fatalf("boto3 as the role: %s", out)
		}
	})
}

type stsAnswer struct {
	status int
	body   string
}

// rawSTS posts an STS form with the fake signature.
func rawSTS(t *testing.T, srvURL, form string) stsAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srvURL+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("X-Amz-Date", "20261124T120000Z")
	req.Header.Set("Authorization", strings.Replace(fakeAuth, "cloudcontrolapi", "sts", 1))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return stsAnswer{resp.StatusCode, string(b)}
}
