package athanor

import (
	"fmt"
	"strings"

	"github.com/athanor-iac/athanor/internal/secrets"
)

// plainResource is Resource without its Format method, for Format to
// print.
type plainResource Resource

// Format prints the resource as fmt would, with every property that holds
// a secret shown as "(sensitive)", so that a program that prints or logs a
// resource (fmt.Println(db), %+v, %#v) shows not even the opaque token of
// a secret.
func (r *Resource) Format(f fmt.State, verb rune) {
	if r == nil {
		fmt.Fprintf(f, fmt.FormatString(f, verb), (*plainResource)(nil))
		return
	}
	c := plainResource(*r)
	c.Properties, _ = secrets.Redact(r.Properties).(map[string]any)
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, strings.Replace(fmt.Sprintf("%#v", &c), "athanor.plainResource", "athanor.Resource", 1))
		return
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), &c)
}
