package athanor

import (
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/athanor-iac/athanor/internal/engine"
)

// PanicError is a panic in the program, turned into an error so that the
// run ends as any failed run does (exit 1, state saved) and says what is
// known of its cause. While planning, the likeliest cause is a value known
// only after apply (a placeholder, see [IsUnknown]) that the program took
// apart: strings.Split(lg.Arn, ":")[3], say.
type PanicError struct {
	// Value is what the program panicked with.
	Value any
	// At is where it panicked: function, file and line.
	At string
	// After is the last declaration the program made before, if any.
	After string
	// Unknown names the values of that declaration that are known only
	// after apply (logicalID.Property), when the panic came while planning.
	Unknown []string
	// Planning says the panic came while planning.
	Planning bool
}

func (e *PanicError) Error() string {
	var b strings.Builder
	b.WriteString("the program panicked")
	if e.After != "" {
		fmt.Fprintf(&b, " after declaring %q", e.After)
	}
	if e.At != "" {
		fmt.Fprintf(&b, " at %s", e.At)
	}
	fmt.Fprintf(&b, ": %v", e.Value)
	if e.Planning && len(e.Unknown) > 0 {
		fmt.Fprintf(&b, "; while planning, %s %s known only after apply: the program gets a placeholder instead, so code that takes %s apart must first check athanor.IsUnknown (or app.Planning())",
			strings.Join(e.Unknown, ", "), plural(len(e.Unknown), "is", "are"), plural(len(e.Unknown), "it", "them"))
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// call runs one function of the program, turning a panic into a
// *PanicError.
func (a *App) call(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			after, unknown := a.waits.lastDeclared()
			pe := &PanicError{Value: v, At: panicSite(), After: after, Planning: a.planning}
			if a.planning {
				pe.Unknown = unknown
			}
			err = pe
		}
	}()
	return fn()
}

// panicSite returns the program's frame that panicked: the first frame
// after runtime.gopanic outside the runtime.
func panicSite() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	seenPanic := false
	for {
		f, more := frames.Next()
		if f.Function == "runtime.gopanic" {
			seenPanic = true
		} else if seenPanic && !strings.HasPrefix(f.Function, "runtime.") {
			return fmt.Sprintf("%s (%s:%d)", f.Function, f.File, f.Line)
		}
		if !more {
			return ""
		}
	}
}

// maxUnknownNamed bounds the unknown values a panic's message names.
const maxUnknownNamed = 4

// noteDeclared remembers the last declaration and, while planning, which
// of its values are placeholders, for a panic's message.
func (w *waits) noteDeclared(r *Resource, planning bool) {
	var unknown []string
	for name, v := range r.Properties {
		if planning && engine.IsUnknown(v) {
			unknown = append(unknown, r.LogicalID+"."+name)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > maxUnknownNamed {
		unknown = append(unknown[:maxUnknownNamed], "…")
	}
	w.mu.Lock()
	w.last, w.lastUnknown = r.LogicalID, unknown
	w.mu.Unlock()
}

func (w *waits) lastDeclared() (string, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last, w.lastUnknown
}
