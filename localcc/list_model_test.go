package localcc_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor/localcc"
)

// A type whose list handler schema requires properties is listed within
// the ResourceModel that names them, and refused without it, as Cloud
// Control does for AWS::ApiGatewayV2::Integration and its ApiId.
func TestListResourceModel(t *testing.T) {
	srv, clock := startLocal(t, localcc.Options{})
	cc := cloudcontrol.NewFromConfig(sdkConfig(t, srv.URL(), "AKIDPLAIN", "us-east-1"))
	const typ = "AWS::ApiGatewayV2::Integration"
	for _, api := range []string{"api1", "api1", "api2"} {
		createIn(t, cc, clock, typ, `{"ApiId":"`+api+`","IntegrationType":"MOCK"}`)
	}
	ctx := context.Background()
	_, err := cc.ListResources(ctx, &cloudcontrol.ListResourcesInput{TypeName: aws.String(typ)})
	wantCode(t, err, "InvalidRequestException", "Missing Or Invalid ResourceModel property in AWS::ApiGatewayV2::Integration list handler request input. Required property:  [ApiId]")
	out, err := cc.ListResources(ctx, &cloudcontrol.ListResourcesInput{TypeName: aws.String(typ), ResourceModel: aws.String(`{"ApiId":"api1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ResourceDescriptions) != 2 {
		t.Fatalf("%d integrations of api1, want 2", len(out.ResourceDescriptions))
	}
}
