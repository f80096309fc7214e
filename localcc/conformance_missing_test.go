package localcc_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor/localcc"
)

// A resource that no longer exists, for a flow log and for a type served
// from its schema alone:
//   - a read is ResourceNotFoundException;
//   - a delete ends FAILED with NotFound, as the handler contract's
//     delete-delete test requires (clients such as awscc count exactly that
//     as a finished delete);
//   - an update is refused at once with ResourceNotFoundException: Cloud
//     Control reads the resource to apply the patch before it accepts the
//     request, as its synchronous validation of the patched model shows
//     (research spec section 2). That the refusal is synchronous is
//     inferred; a run against AWS confirms or corrects it.
func TestConformanceMissingResource(t *testing.T) {
	tg := newTarget(t, localcc.Options{})
	logGroup := fmt.Sprintf("athanor-conformance-%d", time.Now().UnixNano())
	for _, tc := range []struct {
		typeName string
		props    map[string]any
		patch    []map[string]any
	}{
		{flowLog, tg.cwlProps(), []map[string]any{{"op": "add", "path": "/Tags", "value": []map[string]string{{"Key": "k", "Value": "v"}}}}},
		{"AWS::Logs::LogGroup", map[string]any{"LogGroupName": logGroup, "RetentionInDays": 1}, []map[string]any{{"op": "replace", "path": "/RetentionInDays", "value": 3}}},
	} {
		t.Run(tc.typeName, func(t *testing.T) {
			id := tg.createOK(t, tc.typeName, tc.props)
			if done := tg.deleteAndSettle(t, tc.typeName, id); done.OperationStatus != types.OperationStatusSuccess {
				t.Fatalf("delete: %s %s %s", done.OperationStatus, done.ErrorCode, aws.ToString(done.StatusMessage))
			}

			var nf *types.ResourceNotFoundException
			if err := tg.mustGetErr(t, tc.typeName, id); !errors.As(err, &nf) {
				t.Errorf("read: %v, want ResourceNotFoundException", err)
			}
			wantFailed(t, tg.deleteAndSettle(t, tc.typeName, id), types.HandlerErrorCodeNotFound, id)
			_, err := tg.cc.UpdateResource(context.Background(), &cloudcontrol.UpdateResourceInput{TypeName: aws.String(tc.typeName), Identifier: aws.String(id), PatchDocument: jsonString(t, tc.patch)})
			if !errors.As(err, &nf) {
				t.Errorf("update: %v, want ResourceNotFoundException", err)
			}
		})
	}
}
