package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/athanor-iac/athanor/internal/textdist"
)

// Mode says what a model is validated for. Cloud Control checks a desired
// state differently from a full model: a desired state may not carry the
// properties AWS sets, a model read back or patched may.
type Mode int

const (
	// ForCreate validates a desired state sent to CreateResource. Read-only
	// properties are not permitted (Cloud Control reports them as extraneous
	// keys, "#: extraneous key [Id] is not permitted"), and required applies
	// (except to read-only properties, which a desired state cannot hold).
	ForCreate Mode = iota
	// ForModel validates a full model, such as the result of applying a patch
	// to the current state or of a read: read-only properties are allowed and
	// required applies.
	ForModel
	// ForPartial validates the properties a user declared when some values
	// are unknown until apply (outputs of other resources). It checks what
	// ForCreate checks, but values for which ValidateOptions.Unknown returns
	// true are skipped, and a required key holding one counts as present, so
	// that a program can be checked before anything exists.
	ForPartial
)

// String names the mode, for test and log output.
func (m Mode) String() string {
	switch m {
	case ForCreate:
		return "ForCreate"
	case ForModel:
		return "ForModel"
	case ForPartial:
		return "ForPartial"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Violation is one way a model breaks its type's schema. It carries both
// Cloud Control's wording (CFN), so an emulator can answer exactly as the
// service would, and a wording for people (Message), so an engine can tell a
// user what to fix before any request is sent.
type Violation struct {
	// Pointer is the JSON pointer into the model of the value concerned: ""
	// for the root, "/DestinationOptions/FileFormat". For a missing required
	// key or an extraneous key it points at the object that holds (or lacks)
	// the key, as Cloud Control's "#:" prefix does.
	Pointer string
	// Property is the top-level property concerned. At the root it names the
	// missing or extraneous key itself; it is "" when the root as a whole is
	// concerned (e.g. a top-level oneOf).
	Property string
	// Kind is the JSON Schema keyword that failed: "required",
	// "additionalProperties", "type", "enum", "pattern", "minLength",
	// "maxLength", "minimum", "maximum", "minItems", "maxItems",
	// "uniqueItems", "const", "oneOf", "anyOf", "format" or "other".
	Kind string
	// Value is the offending value where there is one (the caller's value,
	// not a converted copy); nil for a missing key.
	Value any
	// Allowed lists, for an enum violation, the allowed values as strings in
	// schema order.
	Allowed []string
	// CFN is the violation worded as Cloud Control words it inside
	// "Model validation failed (...)", e.g.
	// "#: extraneous key [Foo] is not permitted",
	// "#/TrafficType: ALLX is not a valid enum value".
	CFN string
	// Message is the violation worded for a person writing a program: it
	// names the property path in CloudFormation form (Tags[0].Key) and says
	// how to fix it, with a "did you mean" when a close name or value exists.
	Message string
}

// ValidateOptions tunes [Schema.Validate].
type ValidateOptions struct {
	// Mode selects which variant of the schema applies.
	Mode Mode
	// Unknown, when set, reports values that are placeholders for values
	// known only after apply; such values are not checked (but a required
	// key holding one counts as present). Checks that an unknown value could
	// still satisfy (minItems, oneOf, anyOf, ... on objects and arrays that
	// contain one) are not reported either: Validate reports only what is
	// certainly wrong.
	Unknown func(v any) bool
}

// compiled holds a schema's decoded document and its compiled variants. The
// variants are compiled on first use because compiling takes about a
// millisecond per type and most programs validate one or two modes of a few
// types.
type compiled struct {
	doc map[string]any // decoded with json.Number, top-level $schema removed

	full   variant // ForModel
	create variant // ForCreate and ForPartial: read-only properties removed
}

type variant struct {
	once sync.Once
	doc  map[string]any
	sch  *jsonschema.Schema
	err  error
}

// schemaURL is where a compiled document claims to live. Some schemas refer
// to themselves as "resource-schema.json#/..." (in handler schemas, which
// the validator does not visit); naming the resource so keeps such
// references inside the document.
const schemaURL = "file:///athanor/schema/resource-schema.json"

// refuseLoader stops the compiler from fetching anything: every schema is
// self-contained once its $schema key is gone, and a validator that reached
// for the network would be slow, flaky and a security hole.
type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema: refusing to load %s: only the embedded schema document is available", url)
}

func (s *Schema) prepare() (*compiled, error) {
	s.compileOnce.Do(func() {
		dec := json.NewDecoder(bytes.NewReader(s.Raw))
		dec.UseNumber()
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			s.compileErr = fmt.Errorf("schema %s: decode: %w", s.TypeName, err)
			return
		}
		// The $schema values name CloudFormation's provider meta-schema by
		// URL; the compiler would try to fetch it. Without it the default
		// draft (7) applies, which is what the meta-schema builds on.
		delete(doc, "$schema")
		s.compiled = &compiled{doc: doc}
	})
	return s.compiled, s.compileErr
}

func (c *compiled) variantFor(s *Schema, m Mode) (*variant, error) {
	v := &c.full
	if m != ForModel {
		v = &c.create
	}
	v.once.Do(func() {
		doc := c.doc
		if m != ForModel {
			doc = createDoc(c.doc, s.ReadOnlyNames())
		}
		v.doc = doc
		comp := jsonschema.NewCompiler()
		comp.DefaultDraft(jsonschema.Draft7)
		comp.UseLoader(refuseLoader{})
		if err := comp.AddResource(schemaURL, doc); err != nil {
			v.err = fmt.Errorf("schema %s: %w", s.TypeName, err)
			return
		}
		v.sch, v.err = comp.Compile(schemaURL)
		if v.err != nil {
			v.err = fmt.Errorf("schema %s: compile: %w", s.TypeName, v.err)
		}
	})
	return v, v.err
}

// createDoc returns a variant of doc whose top-level properties and required
// lists lack the read-only names, so that additionalProperties: false
// reports them as Cloud Control does for a desired state. A few schemas
// reuse a read-only property's schema elsewhere ("$ref":
// "#/properties/Arn"); such references are pointed at a copy kept under
// definitions, so the variant still compiles.
func createDoc(doc map[string]any, readOnly []string) map[string]any {
	props, _ := doc["properties"].(map[string]any)
	ro := map[string]bool{}
	for _, n := range readOnly {
		if _, ok := props[n]; ok {
			ro[n] = true
		}
	}
	if len(ro) == 0 {
		return doc
	}
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		out[k] = v
	}
	np := make(map[string]any, len(props))
	moved := map[string]string{} // old ref -> new ref
	defs := map[string]any{}
	if d, ok := doc["definitions"].(map[string]any); ok {
		for k, v := range d {
			defs[k] = v
		}
	}
	for k, v := range props {
		if !ro[k] {
			np[k] = v
			continue
		}
		name := "athanorReadOnly_" + k
		defs[name] = v
		moved["#/properties/"+escapeToken(k)] = "#/definitions/" + escapeToken(name)
	}
	out["properties"] = np
	out["definitions"] = defs
	if req, ok := doc["required"].([]any); ok {
		var nr []any
		for _, r := range req {
			if n, ok := r.(string); ok && ro[n] {
				continue
			}
			nr = append(nr, r)
		}
		if nr == nil {
			delete(out, "required")
		} else {
			out["required"] = nr
		}
	}
	for _, key := range []string{"properties", "definitions", "oneOf", "anyOf", "allOf", "not", "dependencies", "if", "then", "else"} {
		if v, ok := out[key]; ok {
			out[key] = rewriteRefs(v, moved)
		}
	}
	return out
}

// rewriteRefs returns v with every $ref found in moved replaced, copying
// only the containers on the way to a change.
func rewriteRefs(v any, moved map[string]string) any {
	switch v := v.(type) {
	case map[string]any:
		var out map[string]any
		for k, e := range v {
			ne := e
			if ref, ok := e.(string); ok && k == "$ref" {
				for old, nw := range moved {
					if ref == old || strings.HasPrefix(ref, old+"/") {
						ne = nw + strings.TrimPrefix(ref, old)
						break
					}
				}
			} else {
				ne = rewriteRefs(e, moved)
			}
			if !sameValue(ne, e) && out == nil {
				out = make(map[string]any, len(v))
				for k2, e2 := range v {
					out[k2] = e2
				}
			}
			if out != nil {
				out[k] = ne
			}
		}
		if out != nil {
			return out
		}
		return v
	case []any:
		var out []any
		for i, e := range v {
			ne := rewriteRefs(e, moved)
			if !sameValue(ne, e) && out == nil {
				out = append([]any(nil), v...)
			}
			if out != nil {
				out[i] = ne
			}
		}
		if out != nil {
			return out
		}
		return v
	}
	return v
}

// sameValue reports whether rewriteRefs left a value as it was: containers
// are compared by identity, scalars by value.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	}
	return a == b
}

// Validate checks model (decoded JSON: map[string]any, []any, string,
// float64 or json.Number, bool, nil; int and int64 are accepted too, and
// other Go values are passed through encoding/json) against the schema and
// returns every violation, sorted by Pointer, then Kind, then wording, so
// that the same model always gives the same list. The model is not
// modified. The error is for a schema that cannot be compiled, never for an
// invalid model.
func (s *Schema) Validate(model map[string]any, opts ValidateOptions) ([]Violation, error) {
	c, err := s.prepare()
	if err != nil {
		return nil, err
	}
	v, err := c.variantFor(s, opts.Mode)
	if err != nil {
		return nil, err
	}
	n := &normalizer{unknown: opts.Unknown, indexMap: map[string][]int{}}
	inst := n.object(model, "")
	verr := v.sch.Validate(inst)
	if verr == nil {
		return nil, nil
	}
	ve, ok := verr.(*jsonschema.ValidationError)
	if !ok {
		return nil, fmt.Errorf("schema %s: validate: %w", s.TypeName, verr)
	}
	b := &builder{s: s, doc: v.doc, model: model, n: n, mode: opts.Mode}
	b.walk(ve)
	out := b.out
	sort.SliceStable(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.Pointer != c.Pointer {
			return a.Pointer < c.Pointer
		}
		if a.Kind != c.Kind {
			return a.Kind < c.Kind
		}
		if a.CFN != c.CFN {
			return a.CFN < c.CFN
		}
		return a.Message < c.Message
	})
	// A value can fail the same check through two routes (e.g. allOf
	// branches); report it once.
	dedup := out[:0]
	for i, x := range out {
		if i > 0 && x.Pointer == out[i-1].Pointer && x.Kind == out[i-1].Kind && x.CFN == out[i-1].CFN {
			continue
		}
		dedup = append(dedup, x)
	}
	return dedup, nil
}

// ModelValidationMessage formats violations as Cloud Control's
// ValidationException message, "Model validation failed (" + one CFN line
// per violation + ")", so an emulator answers byte for byte as the service.
func ModelValidationMessage(vs []Violation) string {
	lines := make([]string, len(vs))
	for i, v := range vs {
		lines[i] = v.CFN
	}
	return "Model validation failed (" + strings.Join(lines, "\n") + ")"
}

// Suggest returns the candidate closest to s, or "" when none is close, for
// "did you mean" hints. A case-insensitive match wins; otherwise the
// candidate at the smallest edit distance, if that distance is at most about
// a third of len(s). Ties go to the earlier candidate, so the answer is
// deterministic for a given candidate order.
func Suggest(s string, candidates []string) string {
	if s == "" {
		return ""
	}
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if c != s && strings.ToLower(c) == ls {
			return c
		}
	}
	limit := (len([]rune(s)) + 1) / 3
	best, bestD := "", limit+1
	for _, c := range candidates {
		if c == s {
			continue
		}
		if d := textdist.Levenshtein(ls, strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// --- model normalisation ---

// normalizer deep-copies a model into the value types the validator
// understands, leaving out unknown values and remembering where they were.
type normalizer struct {
	unknown func(any) bool
	// unknownAt holds the copy's pointers of removed unknown values.
	unknownAt []string
	// indexMap maps a copy array's pointer to the original index of each of
	// its elements, for arrays from which unknown elements were removed.
	indexMap map[string][]int
}

func (n *normalizer) isUnknown(v any) bool {
	if n.unknown == nil {
		return false
	}
	defer func() { _ = recover() }() // a predicate that panics on odd types means "not unknown"
	return n.unknown(v)
}

func (n *normalizer) object(m map[string]any, ptr string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		p := ptr + "/" + escapeToken(k)
		if n.isUnknown(v) {
			n.unknownAt = append(n.unknownAt, p)
			continue
		}
		out[k] = n.value(v, p)
	}
	return out
}

func (n *normalizer) value(v any, ptr string) any {
	switch v := v.(type) {
	case nil, bool, string, json.Number, float64,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v
	case float32:
		return float64(v)
	case map[string]any:
		return n.object(v, ptr)
	case []any:
		out := make([]any, 0, len(v))
		var idx []int
		removed := false
		for i, e := range v {
			if n.isUnknown(e) {
				n.unknownAt = append(n.unknownAt, ptr+"/"+strconv.Itoa(len(out)))
				removed = true
				continue
			}
			idx = append(idx, i)
			out = append(out, n.value(e, ptr+"/"+strconv.Itoa(len(out))))
		}
		if removed {
			n.indexMap[ptr] = idx
		}
		return out
	}
	// Anything else (typed slices and maps, structs): take its JSON form.
	raw, err := json.Marshal(v)
	if err != nil {
		return v // the validator reports it as an invalid JSON value
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return v
	}
	return n.value(out, ptr)
}

// original translates a pointer into the normalised copy into a pointer
// into the caller's model, undoing removed array elements.
func (n *normalizer) original(toks []string) string {
	var sb, cp strings.Builder
	for _, t := range toks {
		out := t
		if idx, ok := n.indexMap[cp.String()]; ok {
			if i, err := strconv.Atoi(t); err == nil && i >= 0 && i < len(idx) {
				out = strconv.Itoa(idx[i])
			}
		}
		cp.WriteString("/" + escapeToken(t))
		sb.WriteString("/" + escapeToken(out))
	}
	return sb.String()
}

// unknownBelow reports whether an unknown value was removed at or under the
// copy pointer ptr.
func (n *normalizer) unknownBelow(ptr string) bool {
	for _, u := range n.unknownAt {
		if strings.HasPrefix(u, ptr+"/") || u == ptr {
			return true
		}
	}
	return false
}

func (n *normalizer) unknownIs(ptr string) bool {
	for _, u := range n.unknownAt {
		if u == ptr {
			return true
		}
	}
	return false
}

func escapeToken(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}

func unescapeToken(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
}

func splitPointer(p string) []string {
	if p == "" {
		return nil
	}
	toks := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, t := range toks {
		toks[i] = unescapeToken(t)
	}
	return toks
}

// lookupAny follows a JSON pointer through maps and slices.
func lookupAny(doc any, ptr string) (any, bool) { return ValueAt(doc, splitPointer(ptr)) }

// SplitPointer splits a JSON pointer ("/Tags/0/Value"; the leading '/' is
// optional) into its tokens, with "~1" and "~0" unescaped.
func SplitPointer(p string) []string { return splitPointer(p) }

// ValueAt follows pointer tokens (see SplitPointer) through decoded JSON,
// maps and lists alike, and reports whether the value is there.
func ValueAt(doc any, toks []string) (any, bool) {
	cur := doc
	for _, tok := range toks {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// --- error tree to violations ---

type builder struct {
	s     *Schema
	doc   map[string]any
	model map[string]any
	n     *normalizer
	mode  Mode
	out   []Violation
}

// walk collects the leaves of the validator's error tree. Containers (the
// root, groups, $ref and allOf) are descended; oneOf and anyOf are reported
// once, since their branch errors describe alternatives the user did not
// choose and would only bury the real problem.
func (b *builder) walk(e *jsonschema.ValidationError) {
	switch e.ErrorKind.(type) {
	case *kind.OneOf, *kind.AnyOf:
		b.leaf(e)
		return
	}
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			b.walk(c)
		}
		return
	}
	b.leaf(e)
}

func (b *builder) leaf(e *jsonschema.ValidationError) {
	copyPtr := ""
	for _, t := range e.InstanceLocation {
		copyPtr += "/" + escapeToken(t)
	}
	ptr := b.n.original(e.InstanceLocation)
	value, _ := lookupAny(b.model, ptr)
	top := ""
	if len(e.InstanceLocation) > 0 {
		top = e.InstanceLocation[0]
	}
	path := cfnPath(splitPointer(ptr))
	subject := path
	if subject == "" {
		subject = "the model"
	}
	base := Violation{Pointer: ptr, Property: top, Value: value}
	hash := "#" + ptr

	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		b.required(base, copyPtr, path, k.Missing)
	case *kind.Dependency:
		b.required(base, copyPtr, path, k.Missing)
	case *kind.DependentRequired:
		b.required(base, copyPtr, path, k.Missing)
	case *kind.AdditionalProperties:
		names := append([]string(nil), k.Properties...)
		sort.Strings(names)
		obj, _ := value.(map[string]any)
		candidates := b.propertyNames(e.SchemaURL)
		for _, name := range names {
			v := base
			v.Kind = "additionalProperties"
			if ptr == "" {
				v.Property = name
			}
			v.Value = obj[name]
			v.CFN = fmt.Sprintf("%s: extraneous key [%s] is not permitted", hash, name)
			switch {
			case ptr == "" && b.mode != ForModel && contains(b.s.ReadOnlyNames(), name):
				v.Message = fmt.Sprintf("property %q is read-only: AWS sets it, so a desired state cannot contain it; remove it", name)
			default:
				msg := fmt.Sprintf("unknown property %q", name)
				if path != "" {
					msg = path + ": " + msg
				}
				if sug := Suggest(name, candidates); sug != "" {
					msg += fmt.Sprintf("; did you mean %q?", sug)
				} else if len(candidates) > 0 && len(candidates) <= 12 {
					msg += "; allowed: " + strings.Join(candidates, ", ")
				}
				v.Message = msg
			}
			b.out = append(b.out, v)
		}
	case *kind.Type:
		v := base
		v.Kind = "type"
		want := make([]string, len(k.Want))
		human := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = cfnTypeName(w)
			human[i] = article(w)
		}
		if len(want) == 1 {
			v.CFN = fmt.Sprintf("%s: expected type: %s, found: %s", hash, want[0], cfnFoundType(value))
		} else {
			v.CFN = fmt.Sprintf("%s: expected type is one of %s, found: %s", hash, strings.Join(want, ", "), cfnFoundType(value))
		}
		v.Message = fmt.Sprintf("%s must be %s, not %s (%s)", subject, strings.Join(human, " or "), article(humanType(value)), display(value))
		b.out = append(b.out, v)
	case *kind.Enum:
		v := base
		v.Kind = "enum"
		for _, w := range k.Want {
			v.Allowed = append(v.Allowed, plain(w))
		}
		v.CFN = fmt.Sprintf("%s: %s is not a valid enum value", hash, plain(value))
		msg := fmt.Sprintf("%s %s is not one of %s", subject, display(value), strings.Join(v.Allowed, ", "))
		if str, ok := value.(string); ok {
			if sug := Suggest(str, v.Allowed); sug != "" {
				msg += fmt.Sprintf("; did you mean %q?", sug)
			}
		}
		v.Message = msg
		b.out = append(b.out, v)
	case *kind.Const:
		v := base
		v.Kind = "const"
		v.CFN = fmt.Sprintf("%s: %s is not a valid const value", hash, plain(value))
		v.Message = fmt.Sprintf("%s must be %s, not %s", subject, display(k.Want), display(value))
		b.out = append(b.out, v)
	case *kind.Pattern:
		v := base
		v.Kind = "pattern"
		v.CFN = fmt.Sprintf("%s: string [%s] does not match pattern %s", hash, k.Got, k.Want)
		v.Message = fmt.Sprintf("%s %s does not match the pattern %s", subject, display(value), k.Want)
		b.out = append(b.out, v)
	case *kind.MinLength:
		v := base
		v.Kind = "minLength"
		v.CFN = fmt.Sprintf("%s: expected minLength: %d, actual: %d", hash, k.Want, k.Got)
		v.Message = fmt.Sprintf("%s must be at least %d characters long, not %d", subject, k.Want, k.Got)
		b.out = append(b.out, v)
	case *kind.MaxLength:
		v := base
		v.Kind = "maxLength"
		v.CFN = fmt.Sprintf("%s: expected maxLength: %d, actual: %d", hash, k.Want, k.Got)
		v.Message = fmt.Sprintf("%s must be at most %d characters long, not %d", subject, k.Want, k.Got)
		b.out = append(b.out, v)
	case *kind.Minimum:
		v := base
		v.Kind = "minimum"
		v.CFN = fmt.Sprintf("%s: %s is not greater or equal to %s", hash, plain(value), ratString(k.Want))
		v.Message = fmt.Sprintf("%s must be at least %s, not %s", subject, ratString(k.Want), plain(value))
		b.out = append(b.out, v)
	case *kind.Maximum:
		v := base
		v.Kind = "maximum"
		v.CFN = fmt.Sprintf("%s: %s is not less or equal to %s", hash, plain(value), ratString(k.Want))
		v.Message = fmt.Sprintf("%s must be at most %s, not %s", subject, ratString(k.Want), plain(value))
		b.out = append(b.out, v)
	case *kind.ExclusiveMinimum:
		v := base
		v.Kind = "minimum"
		v.CFN = fmt.Sprintf("%s: %s is not greater than %s", hash, plain(value), ratString(k.Want))
		v.Message = fmt.Sprintf("%s must be greater than %s, not %s", subject, ratString(k.Want), plain(value))
		b.out = append(b.out, v)
	case *kind.ExclusiveMaximum:
		v := base
		v.Kind = "maximum"
		v.CFN = fmt.Sprintf("%s: %s is not less than %s", hash, plain(value), ratString(k.Want))
		v.Message = fmt.Sprintf("%s must be less than %s, not %s", subject, ratString(k.Want), plain(value))
		b.out = append(b.out, v)
	case *kind.MinItems:
		if b.n.unknownBelow(copyPtr) {
			return // unknown elements may make up the count
		}
		v := base
		v.Kind = "minItems"
		v.CFN = fmt.Sprintf("%s: expected minimum item count: %d, found: %d", hash, k.Want, k.Got)
		v.Message = fmt.Sprintf("%s must have at least %d %s, not %d", subject, k.Want, plural(k.Want, "item"), k.Got)
		b.out = append(b.out, v)
	case *kind.MaxItems:
		v := base
		v.Kind = "maxItems"
		v.CFN = fmt.Sprintf("%s: expected maximum item count: %d, found: %d", hash, k.Want, k.Got)
		v.Message = fmt.Sprintf("%s must have at most %d %s, not %d", subject, k.Want, plural(k.Want, "item"), k.Got)
		b.out = append(b.out, v)
	case *kind.UniqueItems:
		v := base
		v.Kind = "uniqueItems"
		v.CFN = hash + ": array items are not unique"
		i, j := k.Duplicates[0], k.Duplicates[1]
		if idx, ok := b.n.indexMap[copyPtr]; ok && i < len(idx) && j < len(idx) {
			i, j = idx[i], idx[j]
		}
		v.Message = fmt.Sprintf("%s must not repeat items: [%d] and [%d] are equal", subject, i, j)
		b.out = append(b.out, v)
	case *kind.OneOf:
		if b.n.unknownBelow(copyPtr) {
			return
		}
		v := base
		v.Kind = "oneOf"
		branches := b.branchCount(e.SchemaURL, "oneOf")
		switch {
		case len(k.Subschemas) == 0 && branches == 1:
			v.CFN = fmt.Sprintf("%s: #: 0 subschemas matched instead of one", hash)
			v.Message = fmt.Sprintf("%s does not have the shape the schema requires (see the schema's oneOf)", subject)
		case len(k.Subschemas) == 0:
			v.CFN = fmt.Sprintf("%s: #: 0 subschemas matched instead of one", hash)
			v.Message = fmt.Sprintf("%s matches none of the %d alternative shapes the schema allows; it must match exactly one", subject, branches)
		default:
			v.CFN = fmt.Sprintf("%s: #: %d subschemas matched instead of one", hash, len(k.Subschemas))
			v.Message = fmt.Sprintf("%s matches %d of the schema's alternative shapes (%s); it must match exactly one, so remove the properties that make it ambiguous", subject, len(k.Subschemas), joinInts(k.Subschemas))
		}
		b.out = append(b.out, v)
	case *kind.AnyOf:
		if b.n.unknownBelow(copyPtr) {
			return
		}
		v := base
		v.Kind = "anyOf"
		branches := b.branchCount(e.SchemaURL, "anyOf")
		v.CFN = fmt.Sprintf("%s: #: no subschema matched out of the total %d subschemas", hash, branches)
		v.Message = fmt.Sprintf("%s matches none of the %d alternative shapes the schema allows; it must match at least one", subject, branches)
		b.out = append(b.out, v)
	case *kind.Format:
		v := base
		v.Kind = "format"
		v.CFN = fmt.Sprintf("%s: [%s] is not a valid %s.", hash, plain(value), k.Want)
		v.Message = fmt.Sprintf("%s %s is not a valid %s: %v", subject, display(value), k.Want, k.Err)
		b.out = append(b.out, v)
	case *kind.MinProperties:
		if b.n.unknownBelow(copyPtr) {
			return
		}
		v := base
		v.Kind = "other"
		v.CFN = fmt.Sprintf("%s: minimum size: [%d], found: [%d]", hash, k.Want, k.Got)
		v.Message = fmt.Sprintf("%s must have at least %d %s, not %d", subject, k.Want, plural(k.Want, "entry"), k.Got)
		b.out = append(b.out, v)
	case *kind.MaxProperties:
		v := base
		v.Kind = "other"
		v.CFN = fmt.Sprintf("%s: maximum size: [%d], found: [%d]", hash, k.Want, k.Got)
		v.Message = fmt.Sprintf("%s must have at most %d %s, not %d", subject, k.Want, plural(k.Want, "entry"), k.Got)
		b.out = append(b.out, v)
	case *kind.MultipleOf:
		v := base
		v.Kind = "other"
		v.CFN = fmt.Sprintf("%s: %s is not a multiple of %s", hash, plain(value), ratString(k.Want))
		v.Message = fmt.Sprintf("%s must be a multiple of %s, not %s", subject, ratString(k.Want), plain(value))
		b.out = append(b.out, v)
	default:
		if b.n.unknownBelow(copyPtr) {
			return // e.g. "not" or a false schema: an unknown might change the outcome
		}
		v := base
		v.Kind = "other"
		text := e.ErrorKind.LocalizedString(messagePrinter)
		v.CFN = fmt.Sprintf("%s: %s", hash, text)
		v.Message = fmt.Sprintf("%s: %s", subject, text)
		b.out = append(b.out, v)
	}
}

func (b *builder) required(base Violation, copyPtr, path string, missing []string) {
	names := append([]string(nil), missing...)
	sort.Strings(names)
	for _, name := range names {
		if b.n.unknownIs(copyPtr + "/" + escapeToken(name)) {
			continue // present, value known after apply
		}
		v := base
		v.Kind = "required"
		v.Value = nil
		if base.Pointer == "" {
			v.Property = name
		}
		full := name
		if path != "" {
			full = path + "." + name
		}
		v.CFN = fmt.Sprintf("#%s: required key [%s] not found", base.Pointer, name)
		v.Message = fmt.Sprintf("required property %s is missing", full)
		b.out = append(b.out, v)
	}
}

// subschema finds the schema object a validator SchemaURL names inside the
// variant's document.
func (b *builder) subschema(url string) map[string]any {
	_, frag, _ := strings.Cut(url, "#")
	v, ok := lookupAny(any(b.doc), frag)
	if !ok {
		return nil
	}
	m, _ := v.(map[string]any)
	return m
}

// propertyNames lists the properties the object schema at url declares,
// sorted, as candidates for "did you mean".
func (b *builder) propertyNames(url string) []string {
	sch := b.subschema(url)
	props, _ := sch["properties"].(map[string]any)
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (b *builder) branchCount(url, kw string) int {
	sch := b.subschema(url)
	arr, _ := sch[kw].([]any)
	return len(arr)
}

// --- wording helpers ---

// cfnPath renders pointer tokens in CloudFormation's property-path form:
// ["Tags","0","Key"] gives "Tags[0].Key".
func cfnPath(toks []string) string {
	var sb strings.Builder
	for _, t := range toks {
		if _, err := strconv.Atoi(t); err == nil {
			sb.WriteString("[" + t + "]")
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(t)
	}
	return sb.String()
}

// cfnTypeName is the Java class name Cloud Control's validator (everit
// json-schema over org.json) uses for a JSON Schema type.
func cfnTypeName(t string) string {
	switch t {
	case "string":
		return "String"
	case "integer":
		return "Integer"
	case "number":
		return "Number"
	case "boolean":
		return "Boolean"
	case "object":
		return "JSONObject"
	case "array":
		return "JSONArray"
	case "null":
		return "Null"
	}
	return t
}

// cfnFoundType is the Java class org.json decodes v into.
func cfnFoundType(v any) string {
	switch v.(type) {
	case nil:
		return "Null"
	case bool:
		return "Boolean"
	case string:
		return "String"
	case map[string]any:
		return "JSONObject"
	case []any:
		return "JSONArray"
	}
	if r, ok := toRat(v); ok {
		if !r.IsInt() {
			return "BigDecimal"
		}
		n := r.Num()
		switch {
		case n.BitLen() <= 31:
			return "Integer"
		case n.BitLen() <= 63:
			return "Long"
		}
		return "BigInteger"
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map, reflect.Struct:
		return "JSONObject"
	case reflect.Slice, reflect.Array:
		return "JSONArray"
	}
	return fmt.Sprintf("%T", v)
}

func toRat(v any) (*big.Rat, bool) {
	r := new(big.Rat)
	switch v := v.(type) {
	case json.Number:
		if _, ok := r.SetString(string(v)); ok {
			return r, true
		}
		return nil, false
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		return r.SetFloat64(v), true
	case float32:
		return r.SetFloat64(float64(v)), true
	case int:
		return r.SetInt64(int64(v)), true
	case int8:
		return r.SetInt64(int64(v)), true
	case int16:
		return r.SetInt64(int64(v)), true
	case int32:
		return r.SetInt64(int64(v)), true
	case int64:
		return r.SetInt64(v), true
	case uint:
		return r.SetUint64(uint64(v)), true
	case uint8:
		return r.SetUint64(uint64(v)), true
	case uint16:
		return r.SetUint64(uint64(v)), true
	case uint32:
		return r.SetUint64(uint64(v)), true
	case uint64:
		return r.SetUint64(v), true
	}
	return nil, false
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func humanType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	if r, ok := toRat(v); ok {
		if r.IsInt() {
			return "integer"
		}
		return "number"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

func article(t string) string {
	switch t {
	case "null":
		return "null"
	case "integer", "object", "array":
		return "an " + t
	}
	return "a " + t
}

// plain renders a value as Cloud Control's validator prints it: strings
// bare, everything else as JSON.
func plain(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if r, ok := toRat(v); ok {
		if r.IsInt() {
			return r.Num().String()
		}
		if n, ok := v.(json.Number); ok {
			return string(n)
		}
		f, _ := r.Float64()
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}

// display renders a value for a person: strings quoted, long values cut.
func display(v any) string {
	var s string
	if str, ok := v.(string); ok {
		s = strconv.Quote(str)
	} else {
		s = plain(v)
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	if strings.HasSuffix(word, "y") {
		return strings.TrimSuffix(word, "y") + "ies"
	}
	return word + "s"
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// messagePrinter words the validator's own messages for keywords this file
// does not word itself.
var messagePrinter = message.NewPrinter(language.English)
