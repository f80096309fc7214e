package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Unknown values stand for values known only after apply. In plan mode a
// resource that will be created returns them in place of its read-only
// outputs; a program that builds other props from them (an ARN, a name)
// carries them along inside strings, so the plan can mark those props as
// known after apply and record the dependency.
const (
	unknownOpen  = "⟦known after apply: "
	unknownClose = "⟧"
)

// Unknown returns the placeholder for property prop of logicalID.
func Unknown(logicalID, prop string) string {
	return unknownOpen + logicalID + "." + prop + unknownClose
}

// IsUnknown reports whether v is, or contains, a value known only after
// apply.
func IsUnknown(v any) bool {
	switch v := v.(type) {
	case string:
		return strings.Contains(v, unknownOpen)
	case map[string]any:
		for _, e := range v {
			if IsUnknown(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if IsUnknown(e) {
				return true
			}
		}
	}
	return false
}

// unknownRefs returns the logical IDs whose unknown outputs s contains.
func unknownRefs(s string, into map[string]bool) {
	for {
		i := strings.Index(s, unknownOpen)
		if i < 0 {
			return
		}
		s = s[i+len(unknownOpen):]
		j := strings.Index(s, unknownClose)
		if j < 0 {
			return
		}
		ref := s[:j]
		if dot := strings.LastIndex(ref, "."); dot > 0 {
			into[ref[:dot]] = true
		}
		s = s[j:]
	}
}

// normalize turns any JSON-like Go value into plain decoded JSON
// (map[string]any, []any, string, float64, bool, nil), so that values from
// typed structs, from the store (json.Number) and from AWS compare alike.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// plainCopy is normalize without encoding/json, for the props programs
// most often declare: maps, slices, strings, bools, ints and floats. It
// copies v, converting what JSON would (ints to float64, []string and
// map[string]string to []any and map[string]any, nil maps and slices to
// nil); ok is false for anything else (structs, pointers, other number
// types, json.Number, strings that are not UTF-8, NaN and infinities),
// which normalize handles. A declaration of 10,000 resources normalizes
// 10,000 props, twice per run.
func plainCopy(v any) (out any, ok bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case string:
		return v, utf8.ValidString(v)
	case bool:
		return v, true
	case float64:
		return v, !math.IsNaN(v) && !math.IsInf(v, 0)
	case int:
		return float64(v), true
	case map[string]any:
		if v == nil {
			return nil, true
		}
		m := make(map[string]any, len(v))
		for k, e := range v {
			c, ok := plainCopy(e)
			if !ok || !utf8.ValidString(k) {
				return nil, false
			}
			m[k] = c
		}
		return m, true
	case map[string]string:
		if v == nil {
			return nil, true
		}
		m := make(map[string]any, len(v))
		for k, e := range v {
			if !utf8.ValidString(k) || !utf8.ValidString(e) {
				return nil, false
			}
			m[k] = e
		}
		return m, true
	case []any:
		return plainSlice(v)
	case []string:
		return plainSlice(v)
	case []map[string]any:
		return plainSlice(v)
	}
	return nil, false
}

// plainSlice is plainCopy of a slice.
func plainSlice[E any](v []E) (any, bool) {
	if v == nil {
		return nil, true
	}
	out := make([]any, len(v))
	for i, e := range v {
		c, ok := plainCopy(e)
		if !ok {
			return nil, false
		}
		out[i] = c
	}
	return out, true
}

// NormalizeProps converts declared props to plain JSON values.
func NormalizeProps(props any) (map[string]any, error) {
	v, ok := plainCopy(props)
	if !ok {
		var err error
		if v, err = normalize(props); err != nil {
			return nil, fmt.Errorf("props are not JSON-encodable: %w", err)
		}
	}
	if v == nil {
		return map[string]any{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("props must encode as a JSON object, not %T", v)
	}
	return m, nil
}

// canonical is the comparison form of a value: JSON with sorted keys, and
// key/value lists (Tags and the like) sorted, because AWS treats them as
// sets: reordering tags is no change. Values that are already plain JSON
// (the common case: declared props, records, AWS's answers) are written
// directly; anything else goes through encoding/json first.
func canonical(v any) string {
	var b strings.Builder
	if !writeCanonical(&b, v) {
		n, err := normalize(v)
		if err != nil {
			return fmt.Sprintf("%#v", v)
		}
		b.Reset()
		writeCanonical(&b, n)
	}
	return b.String()
}

// writeCanonical writes plain decoded JSON; it reports false for any other
// Go type.
func writeCanonical(b *strings.Builder, v any) bool {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		q, _ := json.Marshal(v)
		b.Write(q)
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			b.WriteString(v.String())
		} else {
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	case int:
		b.WriteString(strconv.Itoa(v))
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			q, _ := json.Marshal(k)
			b.Write(q)
			b.WriteByte(':')
			if !writeCanonical(b, v[k]) {
				return false
			}
		}
		b.WriteByte('}')
	case []any:
		elems := make([]string, len(v))
		keyed := len(v) > 0
		for i, e := range v {
			var eb strings.Builder
			if !writeCanonical(&eb, e) {
				return false
			}
			elems[i] = eb.String()
			if m, ok := e.(map[string]any); !ok || m["Key"] == nil {
				keyed = false
			}
		}
		if keyed {
			sort.Strings(elems)
		}
		b.WriteByte('[')
		b.WriteString(strings.Join(elems, ","))
		b.WriteByte(']')
	default:
		return false
	}
	return true
}

func equal(a, b any) bool { return canonical(a) == canonical(b) }

// tokens splits a string where identifiers meet ARN and path punctuation,
// so "arn:aws:s3:::bucket/prefix" yields "bucket" and "prefix" as well as
// the whole string.
func tokens(s string) []string {
	out := []string{s}
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '/' || r == '|' || r == ',' || r == ' ' })
	if len(f) > 1 {
		out = append(out, f...)
	}
	return out
}
