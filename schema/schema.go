// Package schema reads AWS's CloudFormation resource schemas, embedded in this
// package, and answers what Cloud Control needs to know about a type: its
// properties, which of them are required, createOnly, readOnly or writeOnly,
// how its primary identifier is formed, how long its handlers may take, and
// whether a model is valid.
//
// The schemas are AWS's published registry schemas (see data/PROVENANCE.md),
// packed unchanged by internal/tools/packschemas. Knowledge the schemas do not
// hold (ID prefixes, cross-field rules) lives in code elsewhere, never in the
// schema data.
package schema

import (
	"archive/zip"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
)

//go:generate go run ../internal/tools/packschemas -src ../../shared/cfn-schemas -out data/resources.zip

//go:embed data/resources.zip
var archive []byte

// ErrTypeNotFound is returned by [Registry.Lookup] for a type name that has no
// schema. Test for it with errors.Is.
var ErrTypeNotFound = errors.New("schema: type not found")

var typeNameRE = regexp.MustCompile(`^[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$`)

// Registry holds the embedded schemas. Schemas are decoded and compiled on
// first use and cached, because compiling all 1,489 of them takes over a
// second and a program touches only a few. A Registry is safe for concurrent
// use.
type Registry struct {
	files map[string]*zip.File // by type name

	mu     sync.Mutex
	loaded map[string]*Schema
}

var (
	defaultOnce sync.Once
	defaultReg  *Registry
	defaultErr  error
)

// Default returns the registry of the embedded schemas. The data is read-only
// and identical for every caller, so one shared, lazily built registry serves
// the whole process.
func Default() *Registry {
	defaultOnce.Do(func() { defaultReg, defaultErr = newRegistry(archive) })
	if defaultErr != nil {
		// The archive is compiled into the binary; failing to read it is a
		// build defect, not a runtime condition a caller could handle.
		panic(fmt.Sprintf("schema: embedded archive unreadable: %v", defaultErr))
	}
	return defaultReg
}

func newRegistry(data []byte) (*Registry, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	r := &Registry{files: map[string]*zip.File{}, loaded: map[string]*Schema{}}
	for _, f := range zr.File {
		base, ok := strings.CutPrefix(f.Name, "resources/")
		if !ok || !strings.HasSuffix(base, ".json") {
			continue
		}
		name := strings.ReplaceAll(strings.TrimSuffix(base, ".json"), "_", "::")
		r.files[name] = f
	}
	return r, nil
}

// TypeNames returns every type with a schema, sorted.
func (r *Registry) TypeNames() []string {
	names := make([]string, 0, len(r.files))
	for n := range r.files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the schema of typeName, such as "AWS::EC2::FlowLog". Type
// names are matched exactly, as Cloud Control does.
func (r *Registry) Lookup(typeName string) (*Schema, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.loaded[typeName]; ok {
		return s, nil
	}
	f, ok := r.files[typeName]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrTypeNotFound, typeName)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("open schema %s: %w", typeName, err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read schema %s: %w", typeName, err)
	}
	s, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse schema %s: %w", typeName, err)
	}
	r.loaded[typeName] = s
	return s, nil
}

// ValidTypeName reports whether name has the form Cloud Control accepts
// (Org::Service::Resource).
func ValidTypeName(name string) bool { return typeNameRE.MatchString(name) }

// Handler is one of a schema's handlers (create, read, update, delete, list).
type Handler struct {
	Permissions      []string `json:"permissions"`
	TimeoutInMinutes int      `json:"timeoutInMinutes"`
	// HandlerSchema, on a list handler, names the properties a
	// ListResources call must pass in its ResourceModel (for example the
	// ApiId whose integrations are listed).
	HandlerSchema *HandlerSchema `json:"handlerSchema,omitempty"`
}

// HandlerSchema is the input schema of a handler: the properties it takes
// and those it requires.
type HandlerSchema struct {
	Properties map[string]json.RawMessage `json:"properties"`
	Required   []string                   `json:"required"`
}

// Tagging is the schema's tagging block.
type Tagging struct {
	Taggable     bool   `json:"taggable"`
	TagOnCreate  bool   `json:"tagOnCreate"`
	TagUpdatable bool   `json:"tagUpdatable"`
	TagProperty  string `json:"tagProperty"`
}

// Schema is one resource type's schema. Property paths are JSON pointers as
// the schema writes them ("/properties/Tags"); use [PropertyName] to get the
// top-level name.
type Schema struct {
	TypeName              string                     `json:"typeName"`
	Description           string                     `json:"description"`
	Properties            map[string]json.RawMessage `json:"properties"`
	Definitions           map[string]json.RawMessage `json:"definitions"`
	Required              []string                   `json:"required"`
	CreateOnly            []string                   `json:"createOnlyProperties"`
	ReadOnly              []string                   `json:"readOnlyProperties"`
	WriteOnly             []string                   `json:"writeOnlyProperties"`
	PrimaryIdentifier     []string                   `json:"primaryIdentifier"`
	AdditionalIdentifiers [][]string                 `json:"additionalIdentifiers"`
	Tagging               *Tagging                   `json:"tagging"`
	Handlers              map[string]Handler         `json:"handlers"`
	ReplacementStrategy   string                     `json:"replacementStrategy"`

	// Raw is the schema document exactly as embedded.
	Raw json.RawMessage `json:"-"`

	compileOnce sync.Once
	compiled    *compiled
	compileErr  error
}

// Parse decodes a schema document.
func Parse(raw []byte) (*Schema, error) {
	s := &Schema{}
	if err := json.Unmarshal(raw, s); err != nil {
		return nil, err
	}
	if s.TypeName == "" {
		return nil, errors.New("schema has no typeName")
	}
	s.Raw = append(json.RawMessage(nil), raw...)
	return s, nil
}

// PropertyName returns the top-level property a schema path names:
// "/properties/Tags/0/Key" gives "Tags". It returns "" for paths outside
// /properties.
func PropertyName(path string) string {
	rest, ok := strings.CutPrefix(path, "/properties/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

// names keeps the paths that name a whole top-level property. Nested paths
// ("/properties/VpcEncryptionControl/VpcId") say something about a part of
// a property only, so they are left out.
func names(paths []string) []string {
	var out []string
	for _, p := range paths {
		if n := PropertyName(p); n != "" && p == "/properties/"+n {
			out = append(out, n)
		}
	}
	return out
}

func hasPath(paths []string, path string) bool {
	for _, p := range paths {
		if p == path || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// IsCreateOnly reports whether the property at path (a schema path such as
// "/properties/TrafficType", or a path inside one) can only be set at
// creation, so that changing it replaces the resource.
func (s *Schema) IsCreateOnly(path string) bool { return hasPath(s.CreateOnly, path) }

// IsReadOnly reports whether the property at path is set by AWS only.
func (s *Schema) IsReadOnly(path string) bool { return hasPath(s.ReadOnly, path) }

// IsWriteOnly reports whether the property at path is never returned by reads.
func (s *Schema) IsWriteOnly(path string) bool { return hasPath(s.WriteOnly, path) }

// ReadOnlyNames returns the names of the top-level properties that are
// read-only as a whole.
func (s *Schema) ReadOnlyNames() []string { return names(s.ReadOnly) }

// CreateOnlyNames returns the names of the top-level properties that are
// createOnly as a whole.
func (s *Schema) CreateOnlyNames() []string { return names(s.CreateOnly) }

// WriteOnlyNames returns the names of the top-level properties that are
// writeOnly as a whole.
func (s *Schema) WriteOnlyNames() []string { return names(s.WriteOnly) }

// PrimaryIdentifierNames returns the top-level names that form the primary
// identifier, in order.
func (s *Schema) PrimaryIdentifierNames() []string { return names(s.PrimaryIdentifier) }

// Identifier builds the primary identifier of model as Cloud Control does:
// the values of the primaryIdentifier properties, in order, joined with "|".
// It reports false when one of them is missing or not a scalar.
func (s *Schema) Identifier(model map[string]any) (string, bool) {
	var parts []string
	for _, p := range s.PrimaryIdentifier {
		v, ok := lookupPointer(model, strings.TrimPrefix(p, "/properties"))
		if !ok {
			return "", false
		}
		switch v := v.(type) {
		case string:
			parts = append(parts, v)
		case float64, int, int64, bool, json.Number:
			parts = append(parts, fmt.Sprint(v))
		default:
			return "", false
		}
	}
	if len(parts) == 0 {
		return "", false
	}
	return strings.Join(parts, "|"), true
}

// Listable reports whether the type has a list handler, so that
// ListResources works for it.
func (s *Schema) Listable() bool {
	_, ok := s.Handlers["list"]
	return ok
}

// ListRequires returns the properties a ListResources call for the type
// must pass in its ResourceModel, in the schema's order; nil for most
// types.
func (s *Schema) ListRequires() []string {
	if hs := s.Handlers["list"].HandlerSchema; hs != nil {
		return hs.Required
	}
	return nil
}

// HandlerTimeoutMinutes returns the timeout the schema gives the handler for
// op ("create", "update", "delete"), or 0 when it gives none.
func (s *Schema) HandlerTimeoutMinutes(op string) int {
	return s.Handlers[op].TimeoutInMinutes
}

// lookupPointer follows a JSON pointer ("/A/B/0") through decoded JSON.
func lookupPointer(doc any, ptr string) (any, bool) {
	if ptr == "" {
		return doc, true
	}
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[tok]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}
