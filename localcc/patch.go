package localcc

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/athanor-iac/athanor/schema"
)

// patchOp is one RFC 6902 operation as sent.
type patchOp map[string]any

// parsePatch reads a PatchDocument. Paths are relative to the schema's
// properties; both "/Tags" and "Tags" are accepted, as Cloud Control does.
func parsePatch(doc string) ([]patchOp, *apiError) {
	var ops []patchOp
	if err := decodeJSON([]byte(doc), &ops); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			err = fmt.Errorf("found a JSON %s where an array of operation objects belongs", te.Value)
		}
		return nil, validationError("Invalid patch document: %v. Send a JSON array of RFC 6902 operations, such as [{\"op\":\"replace\",\"path\":\"/Tags\",\"value\":[]}]", err)
	}
	if len(ops) == 0 {
		return nil, validationError("Invalid patch document: it has no operations")
	}
	for i, op := range ops {
		name, _ := op["op"].(string)
		switch name {
		case "add", "remove", "replace", "move", "copy", "test":
		default:
			return nil, validationError("Invalid patch document: operation %d has op %q; use add, remove, replace, move, copy or test", i, op["op"])
		}
		for _, key := range []string{"path", "from"} {
			p, ok := op[key].(string)
			if !ok {
				if key == "path" || name == "move" || name == "copy" {
					return nil, validationError("Invalid patch document: operation %d (%s) has no %s", i, name, key)
				}
				continue
			}
			if !strings.HasPrefix(p, "/") {
				op[key] = "/" + p
			}
		}
	}
	return ops, nil
}

// checkPatchPaths refuses patches that touch createOnly or readOnly
// properties, with Cloud Control's messages (spec section 2).
func checkPatchPaths(sc *schema.Schema, ops []patchOp) *apiError {
	createOnly, readOnly := map[string]bool{}, map[string]bool{}
	for _, op := range ops {
		if op["op"] == "test" {
			continue
		}
		for _, key := range []string{"path", "from"} {
			p, ok := op[key].(string)
			if !ok || (key == "from" && op["op"] == "copy") {
				continue
			}
			full := "/properties" + topLevel(p)
			switch {
			case sc.IsReadOnly(full):
				readOnly[full] = true
			case sc.IsCreateOnly(full):
				createOnly[full] = true
			}
		}
	}
	if len(createOnly) > 0 {
		return &apiError{Shape: "NotUpdatableException", Namespace: nsCloudAPI, Status: 400,
			Message: fmt.Sprintf("Invalid patch update: createOnlyProperties [%s] cannot be updated", joinKeys(createOnly))}
	}
	if len(readOnly) > 0 {
		return validationError("Invalid patch update: readOnlyProperties [%s] cannot be updated", joinKeys(readOnly))
	}
	return nil
}

// topLevel keeps the first segment of a pointer: "/Tags/0/Key" → "/Tags".
func topLevel(p string) string {
	rest := strings.TrimPrefix(p, "/")
	first, _, _ := strings.Cut(rest, "/")
	return "/" + first
}

func joinKeys(m map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// applyPatch applies ops in order to a copy of model. Any failing
// operation, a failed test included, rejects the whole patch.
func applyPatch(model map[string]any, ops []patchOp) (map[string]any, *apiError) {
	patch, err := jsonpatch.DecodePatch([]byte(mustJSON(ops)))
	if err != nil {
		return nil, validationError("Invalid patch document: %v", err)
	}
	doc, err := json.Marshal(model)
	if err != nil {
		return nil, validationError("Invalid patch update: %v", err)
	}
	out, err := patch.ApplyWithOptions(doc, &jsonpatch.ApplyOptions{EnsurePathExistsOnAdd: false, SupportNegativeIndices: true, AccumulatedCopySizeLimit: 0, AllowMissingPathOnRemove: false})
	if err != nil {
		return nil, validationError("Invalid patch update: %v", err)
	}
	var patched map[string]any
	if err := decodeJSON(out, &patched); err != nil || patched == nil {
		return nil, validationError("Invalid patch update: the patched model is not a JSON object")
	}
	return patched, nil
}
