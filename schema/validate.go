package schema

// compiled holds a schema compiled for validation. Filled in by validate.go's
// compile step.
type compiled struct{}
