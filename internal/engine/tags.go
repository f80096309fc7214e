package engine

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/athanor-iac/athanor/schema"
)

// tagShape is how a resource type holds its tags.
type tagShape int

const (
	noTags  tagShape = iota // not taggable, or a shape defaults are not merged into
	tagList                 // [{"Key": k, "Value": v}, ...]
	tagMap                  // {k: v, ...}
)

// tagProperty returns the top-level property holding a type's tags and its
// shape, from the schema's tagging metadata. A type is taggable only when
// its schema says so; a tag property nested deeper than the top level
// (TagSpecifications/*/Tags) or shaped otherwise ({Items: [...]}, TagKey
// and TagValue pairs) gets no default tags.
func tagProperty(sc *schema.Schema) (string, tagShape) {
	t := sc.Tagging
	if t == nil || !t.Taggable {
		return "", noTags
	}
	path := t.TagProperty
	if path == "" {
		path = "/properties/Tags" // the meta-schema's default
	}
	name := schema.PropertyName(path)
	if name == "" || path != "/properties/"+name {
		return "", noTags
	}
	prop := resolveRef(sc, sc.Properties[name])
	switch prop["type"] {
	case "array":
		items := resolveRef(sc, prop["items"])
		fields, _ := items["properties"].(map[string]any)
		if _, k := fields["Key"]; k {
			if _, v := fields["Value"]; v {
				return name, tagList
			}
		}
	case "object":
		if fields, ok := prop["properties"].(map[string]any); ok && len(fields) > 0 {
			return "", noTags // a wrapper such as {Items: [...]}
		}
		return name, tagMap
	}
	return "", noTags
}

// resolveRef decodes a schema fragment (raw JSON or decoded), following
// "#/definitions/..." references.
func resolveRef(sc *schema.Schema, frag any) map[string]any {
	for range 8 {
		var m map[string]any
		switch f := frag.(type) {
		case json.RawMessage:
			if json.Unmarshal(f, &m) != nil {
				return nil
			}
		case map[string]any:
			m = f
		default:
			return nil
		}
		ref, _ := m["$ref"].(string)
		name, ok := strings.CutPrefix(ref, "#/definitions/")
		if !ok {
			return m
		}
		frag = sc.Definitions[name]
	}
	return nil
}

// withDefaultTags merges the app's default tags into props, in the shape
// of the type's tag property: a tag the resource sets itself wins, and
// types that are not taggable are returned as they are. When the tag
// property is createOnly, an existing resource (exists) is left as it is,
// or adding a default tag would replace it.
func withDefaultTags(sc *schema.Schema, props map[string]any, defaults map[string]string, exists bool) map[string]any {
	name, shape := tagProperty(sc)
	if shape == noTags || len(defaults) == 0 || IsUnknown(props[name]) {
		return props
	}
	if exists && sc.IsCreateOnly("/properties/"+name) {
		return props
	}
	keys := make([]string, 0, len(defaults))
	for k := range defaults {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]any, len(props)+1)
	for k, v := range props {
		out[k] = v
	}
	switch shape {
	case tagList:
		old, ok := props[name].([]any)
		if !ok && props[name] != nil {
			return props // not a list: validation says so
		}
		set := map[string]bool{}
		for _, t := range old {
			if m, ok := t.(map[string]any); ok {
				if k, ok := m["Key"].(string); ok {
					set[k] = true
				}
			}
		}
		list := append([]any(nil), old...)
		for _, k := range keys {
			if !set[k] {
				list = append(list, map[string]any{"Key": k, "Value": defaults[k]})
			}
		}
		out[name] = list
	case tagMap:
		old, ok := props[name].(map[string]any)
		if !ok && props[name] != nil {
			return props
		}
		m := make(map[string]any, len(old)+len(keys))
		for k, v := range old {
			m[k] = v
		}
		for _, k := range keys {
			if _, set := m[k]; !set {
				m[k] = defaults[k]
			}
		}
		out[name] = m
	}
	return out
}
