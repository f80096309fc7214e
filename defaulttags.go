package athanor

import (
	"fmt"
	"sort"
	"strings"
)

// DefaultTags gives tags to every resource the program declares after the
// call whose type is taggable (its schema's tagging metadata says so),
// whatever the shape of its tag property: a Key/Value list such as
// AWS::S3::Bucket's or a map such as AWS::SSM::Parameter's. A tag the
// resource sets itself wins over a default with the same key; types that
// are not taggable are left alone. The tags are merged before the plan
// compares, so they show in it as any tag does. Call it first, before the
// declarations; a later call replaces the defaults.
//
// Where the tag property is createOnly (a few types), defaults are given
// to new resources only, since adding one to an existing resource would
// replace it.
func (a *App) DefaultTags(tags map[string]string) {
	var bad []string
	cp := make(map[string]string, len(tags))
	for k, v := range tags {
		if k == "" || strings.HasPrefix(strings.ToLower(k), "aws:") {
			bad = append(bad, fmt.Sprintf("%q", k))
		}
		cp[k] = v
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		a.fail(fmt.Errorf("DefaultTags: tag keys %s: keys must not be empty or start with \"aws:\" (AWS reserves them); rename them", strings.Join(bad, ", ")))
		return
	}
	a.tagsMu.Lock()
	a.defaultTags = cp
	a.tagsMu.Unlock()
}

// tags returns the default tags; callers must not change the map.
func (a *App) tags() map[string]string {
	a.tagsMu.Lock()
	defer a.tagsMu.Unlock()
	return a.defaultTags
}
