package engine

import (
	"context"

	"github.com/athanor-iac/athanor/provider/cloudcontrol"
)

// Provider is what the engine needs from the service that creates, reads,
// updates and deletes resources: Cloud Control, through
// *cloudcontrol.Provider, or a fake in tests. One Provider serves one
// account and region.
//
// Every method honours ctx and is called from many goroutines at once.
// Errors are the provider's: the engine classifies them only with
// cloudcontrol's predicates (IsNotFound, Refused, HandlerCode, IsCancelled,
// IsRequestTokenNotFound), so a Provider returns *cloudcontrol.OperationError
// for a request that ended FAILED or was cancelled.
type Provider interface {
	// Create creates a resource and waits for it, telling submitted each
	// request token as soon as it is known. It returns the primary
	// identifier and the properties as read after creation.
	Create(ctx context.Context, typeName string, props map[string]any, clientToken string, submitted cloudcontrol.Submitted) (string, map[string]any, error)
	// Update applies a JSON Patch and waits for it.
	Update(ctx context.Context, typeName, id string, patch []cloudcontrol.PatchOp, clientToken string, submitted cloudcontrol.Submitted) (map[string]any, error)
	// Delete deletes a resource and waits for it; a resource already gone
	// counts as deleted.
	Delete(ctx context.Context, typeName, id, clientToken string, submitted cloudcontrol.Submitted) error
	// Wait waits for a request submitted earlier and returns its final
	// identifier and properties.
	Wait(ctx context.Context, typeName, requestToken string) (string, map[string]any, error)
	// Read returns a resource's properties; the error satisfies
	// cloudcontrol.IsNotFound when it does not exist.
	Read(ctx context.Context, typeName, id string) (map[string]any, error)
	// List returns every resource of a type.
	List(ctx context.Context, typeName string) ([]cloudcontrol.Described, error)
	// ListWhere lists within a ResourceModel, which types whose list
	// handler lists within a parent (an API's integrations) require.
	ListWhere(ctx context.Context, typeName string, resourceModel map[string]any) ([]cloudcontrol.Described, error)
	// Cancel asks for a request in flight to be cancelled.
	Cancel(ctx context.Context, requestToken string) error
}

// Interface guards.
var _ Provider = (*cloudcontrol.Provider)(nil)
