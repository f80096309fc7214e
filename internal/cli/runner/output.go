package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
)

// reporter prints a run's progress: a line when a resource starts and when
// it ends, and a summary. On a terminal lines are coloured (unless
// NO_COLOR is set); elsewhere each line starts with a timestamp, so that
// logs of CI runs can be read afterwards.
type reporter struct {
	mu      sync.Mutex
	w       io.Writer
	quiet   bool
	verbose bool
	tty     bool
	color   bool
	counts  map[engine.Action]int

	// Live status on a terminal: operations in flight and a progress bar,
	// redrawn below the log lines.
	total    int
	inflight map[string]inflightOp
	status   bool // a status line is on screen
	stopLive chan struct{}
}

type inflightOp struct {
	action engine.Action
	start  time.Time
}

func newReporter(w io.Writer, quiet, verbose bool) *reporter {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &reporter{w: w, quiet: quiet, verbose: verbose, tty: tty, color: useColor(tty), counts: map[engine.Action]int{}, inflight: map[string]inflightOp{}}
}

// useColor says whether output on a terminal (tty) may be coloured: not
// when NO_COLOR is set (https://no-color.org) or TERM is dumb.
func useColor(tty bool) bool {
	_, noColor := os.LookupEnv("NO_COLOR")
	return tty && !noColor && os.Getenv("TERM") != "dumb"
}

// live starts the status line for a run of total operations; the returned
// function stops it. It does nothing unless the output is a terminal.
func (r *reporter) live(total int) func() {
	if !r.tty || r.quiet || total == 0 {
		return func() {}
	}
	r.mu.Lock()
	r.total = total
	r.stopLive = make(chan struct{})
	stop := r.stopLive
	r.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				r.mu.Lock()
				r.drawStatus()
				r.mu.Unlock()
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		r.mu.Lock()
		r.clearStatus()
		r.mu.Unlock()
	}
}

// drawStatus redraws the status line. Called with r.mu held.
func (r *reporter) drawStatus() {
	finished := 0
	for a, n := range r.counts {
		if a != engine.NoOp {
			finished += n
		}
	}
	const width = 20
	filled := 0
	if r.total > 0 {
		filled = min(width, finished*width/r.total)
	}
	bar := strings.Repeat("█", filled) + strings.Repeat("░", width-filled)
	var ops []string
	for _, id := range sortedInflight(r.inflight) {
		op := r.inflight[id]
		ops = append(ops, fmt.Sprintf("%s %s %s", id, progressive[op.action], time.Since(op.start).Round(100*time.Millisecond)))
	}
	line := fmt.Sprintf("%s %d/%d", bar, finished, r.total)
	if len(ops) > 0 {
		shown := ops
		if len(shown) > 3 {
			shown = append(shown[:3:3], fmt.Sprintf("+%d more", len(ops)-3))
		}
		line += " · " + strings.Join(shown, ", ")
	}
	fmt.Fprintf(r.w, "\r\x1b[K%s", line)
	r.status = true
}

func (r *reporter) clearStatus() {
	if r.status {
		fmt.Fprint(r.w, "\r\x1b[K")
		r.status = false
	}
}

func sortedInflight(m map[string]inflightOp) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return m[ids[i]].start.Before(m[ids[j]].start) })
	return ids
}

func (r *reporter) line(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clearStatus()
	prefix := ""
	if !r.tty {
		prefix = time.Now().UTC().Format("15:04:05.000") + " "
	}
	fmt.Fprintf(r.w, prefix+format+"\n", args...)
}

func (r *reporter) paint(code, s string) string {
	if !r.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (r *reporter) actionColor(a engine.Action) string {
	switch a {
	case engine.Create:
		return "32"
	case engine.Update:
		return "33"
	case engine.Replace:
		return "35"
	case engine.Delete:
		return "31"
	}
	return "0"
}

func (r *reporter) note(format string, args ...any) {
	if !r.quiet {
		r.line(format, args...)
	}
}

func (r *reporter) userLog(planning bool) func(string, ...any) {
	return func(format string, args ...any) {
		if !planning && !r.quiet {
			r.line(format, args...)
		}
	}
}

var planWord = map[engine.Action]string{engine.Create: "to create", engine.Update: "to update", engine.Replace: "to replace", engine.Delete: "to delete", engine.Forget: "to remove from state (left in AWS)", engine.Moved: "to move", engine.NoOp: "unchanged"}
var pastTense = map[engine.Action]string{engine.Create: "created", engine.Update: "updated", engine.Replace: "replaced", engine.Delete: "deleted", engine.Forget: "removed from state (left in AWS)", engine.Adopted: "adopted", engine.Moved: "moved", engine.NoOp: "unchanged"}
var progressive = map[engine.Action]string{engine.Create: "creating", engine.Update: "updating in place", engine.Replace: "replacing", engine.Delete: "deleting", engine.Forget: "removing from state (RetainOnDelete)"}

// event prints one engine event.
func (r *reporter) event(ev engine.Event) {
	name := fmt.Sprintf("%s (%s)", ev.LogicalID, ev.Type)
	r.mu.Lock()
	switch ev.Phase {
	case engine.PhaseStart:
		r.inflight[ev.LogicalID] = inflightOp{action: ev.Action, start: time.Now()}
	case engine.PhaseDone, engine.PhaseFailed:
		delete(r.inflight, ev.LogicalID)
	}
	r.mu.Unlock()
	switch ev.Phase {
	case engine.PhaseStart:
		if r.quiet {
			return
		}
		detail := ""
		if ev.Detail != "" {
			detail = " (" + ev.Detail + ")"
		}
		r.line("%s %s %s%s...", r.paint(r.actionColor(ev.Action), ev.Action.Symbol()), name, progressive[ev.Action], detail)
	case engine.PhaseDone:
		r.mu.Lock()
		r.counts[ev.Action]++
		r.mu.Unlock()
		// Taking over a resource that existed is said even with -q: it is
		// a resource the program did not create.
		if r.quiet && ev.Action != engine.Adopted || ev.Action == engine.NoOp {
			return
		}
		if ev.Action == engine.Moved {
			r.line("%s %s moved from %s (%s), nothing sent to AWS", ev.Action.Symbol(), name, ev.Detail, ev.Identifier)
			return
		}
		r.line("%s %s %s %s in %s", r.paint(r.actionColor(ev.Action), ev.Action.Symbol()), name, pastTense[ev.Action], ev.Identifier, ev.Elapsed.Round(10*time.Millisecond))
	case engine.PhaseFailed:
		r.line("%s %s %s failed after %s: %v", r.paint("31", "!"), name, ev.Action, ev.Elapsed.Round(10*time.Millisecond), ev.Err)
	case engine.PhaseNote:
		r.note("  %s: %s", name, ev.Detail)
	}
}

// call prints an API call in verbose mode.
func (r *reporter) call(c cloudcontrol.Call) {
	if !r.verbose {
		return
	}
	what := strings.TrimSpace(c.TypeName + " " + c.Identifier)
	if c.RequestToken != "" {
		what += " request " + c.RequestToken
	}
	status := "ok"
	if c.Err != nil {
		status = c.Err.Error()
	}
	r.line("    api %s %s %s (%s)", c.Operation, what, status, c.Duration.Round(time.Millisecond))
}

// summary prints the closing line of an apply or destroy.
func (r *reporter) summary(what string, elapsed time.Duration, err error) {
	r.mu.Lock()
	c := r.counts
	r.mu.Unlock()
	changed := c[engine.Create] + c[engine.Update] + c[engine.Replace] + c[engine.Delete] + c[engine.Forget] + c[engine.Adopted] + c[engine.Moved]
	status := "complete"
	if err != nil {
		status = "failed"
	}
	if err == nil && changed == 0 && c[engine.NoOp] == 0 && what == "Destroy" {
		r.line("Destroy complete: nothing to delete (%s).", elapsed.Round(10*time.Millisecond))
		return
	}
	if err == nil && changed == 0 {
		r.line("%s complete: no changes; %s up to date (%s).", what, resources(c[engine.NoOp]), elapsed.Round(10*time.Millisecond))
		return
	}
	var parts []string
	for _, a := range []engine.Action{engine.Create, engine.Adopted, engine.Moved, engine.Update, engine.Replace, engine.Delete, engine.Forget, engine.NoOp} {
		if c[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[a], pastTense[a]))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing changed")
	}
	r.line("%s %s: %s (%s).", what, status, strings.Join(parts, ", "), elapsed.Round(10*time.Millisecond))
}

// planView is what a plan shows people: on its first line where the state
// is and where the calls go, then what changed outside the program, then
// the changes.
type planView struct {
	header  string
	drifts  []engine.Drift
	reads   []engine.Read
	changes []engine.Change
	skipped []string // --target: resources the run leaves alone
}

// header prints the head of a plan alone, for a run with nothing to
// change: where its state is and where its calls go, and any drift.
func (r *reporter) header(v planView) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.w, v.header)
	if len(v.drifts) > 0 {
		r.writeDrift(v.drifts)
	}
	r.writeSkipped(v.skipped)
}

// writeSkipped says which resources a run limited by --target leaves
// alone. Called with r.mu held.
func (r *reporter) writeSkipped(ids []string) {
	if len(ids) == 0 {
		return
	}
	shown := ids
	if len(shown) > 10 {
		shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(ids)-10))
	}
	fmt.Fprintf(r.w, "Skipped (not targeted by --target): %s left as they are: %s\n", resources(len(ids)), strings.Join(shown, ", "))
}

// plan prints a plan for people.
func (r *reporter) plan(v planView) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, changes := r.w, v.changes
	fmt.Fprintln(w, v.header)
	if len(v.drifts) > 0 {
		r.writeDrift(v.drifts)
	}
	r.writeReads(v.reads)
	counts := countActions(changes)
	for _, c := range changes {
		if !c.Changes() {
			if len(c.Ignored) > 0 {
				fmt.Fprintf(w, "    %s (%s) %s: no change%s\n", c.LogicalID, c.Type, c.Identifier, optionNotes(c))
			}
			continue
		}
		label := map[engine.Action]string{engine.Create: "create", engine.Update: "update in place", engine.Replace: "replace", engine.Delete: "delete", engine.Forget: "remove from state, leave in AWS", engine.NoOp: "no change"}[c.Action]
		if c.Reason != "" {
			label += " (" + c.Reason + ")"
		}
		label += optionNotes(c)
		if c.Import != "" {
			label = strings.TrimSuffix("import "+c.Import+", "+label, ", ")
		}
		symbol := c.Action.Symbol()
		if h := c.HeldBy; h != nil && c.Action == engine.Replace {
			label += fmt.Sprintf("; the old one is not deleted: app %s, stage %s holds it too, as %q, and it is left to that record", h.App, h.Stage, h.LogicalID)
		} else if h != nil {
			label = fmt.Sprintf("not deleted (%s): app %s, stage %s holds it too, as %q", c.Reason, h.App, h.Stage, h.LogicalID)
			symbol = "!"
		}
		if c.MovedFrom != "" {
			label = strings.TrimSuffix("moved: "+c.MovedFrom+" → "+c.LogicalID+", "+label, ", ")
			if c.Action == engine.NoOp {
				symbol = engine.Moved.Symbol()
			}
		}
		id := ""
		if c.Identifier != "" {
			id = " " + c.Identifier
		}
		if c.Scope != "" {
			id += " in " + c.Scope
		}
		fmt.Fprintf(w, "  %s %s (%s)%s: %s\n", r.paint(r.actionColor(c.Action), symbol), c.LogicalID, c.Type, id, label)
		diffs := append([]engine.PropDiff(nil), c.Diffs...)
		sort.SliceStable(diffs, func(i, j int) bool { return diffs[i].Name < diffs[j].Name })
		for _, d := range diffs {
			fmt.Fprintf(w, "      %s\n", formatDiff(c.Action, d))
		}
		for _, l := range c.Leftovers {
			fmt.Fprintf(w, "      %s\n", r.formatLeftover(l))
		}
	}
	r.writeSkipped(v.skipped)
	if !hasChanges(changes) {
		fmt.Fprintf(w, "No changes. %s up to date.\n", resources(counts["no-op"]))
		return
	}
	var parts []string
	for _, a := range []engine.Action{engine.Create, engine.Update, engine.Replace, engine.Delete, engine.Forget, engine.Moved, engine.NoOp} {
		if n := counts[planKey(a)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, planWord[a]))
		}
	}
	if n := leftoversToDelete(changes); n > 0 {
		parts = append(parts, fmt.Sprintf("%d replaced by an earlier run to delete", n))
	}
	if n := counts["refused"]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d not to delete, which another record holds (the run fails)", n))
	}
	fmt.Fprintf(w, "Plan: %s.\n", strings.Join(parts, ", "))
}

// leftoversToDelete counts the resources earlier replacements left
// behind that the run deletes.
func leftoversToDelete(cs []engine.Change) int {
	n := 0
	for _, c := range cs {
		for _, l := range c.Leftovers {
			if l.HeldBy == nil && !l.Retain {
				n++
			}
		}
	}
	return n
}

// formatLeftover is the line of a plan that shows a resource an earlier
// replacement left behind, which the run deletes, retains or leaves to
// another record.
func (r *reporter) formatLeftover(l engine.Leftover) string {
	id := l.Identifier
	if l.Scope != "" {
		id += " in " + l.Scope
	}
	switch {
	case l.Retain:
		return fmt.Sprintf("%s replaced %s (left over from an earlier run): remove from state, leave in AWS (RetainOnDelete)", r.paint(r.actionColor(engine.Forget), engine.Forget.Symbol()), id)
	case l.HeldBy != nil:
		h := l.HeldBy
		return fmt.Sprintf("! replaced %s (left over from an earlier run): not deleted: app %s, stage %s holds it too, as %q, and it is left to that record", id, h.App, h.Stage, h.LogicalID)
	}
	return fmt.Sprintf("%s replaced %s (left over from an earlier run): delete", r.paint(r.actionColor(engine.Delete), engine.Delete.Symbol()), id)
}

// writeReads lists the lookups a plan made: what the program reads but
// does not manage.
func (r *reporter) writeReads(reads []engine.Read) {
	for _, rd := range reads {
		in := ""
		if rd.Scope != "" {
			in = " in " + rd.Scope
		}
		if rd.Identifier != "" {
			fmt.Fprintf(r.w, "  %s %s %s%s: read\n", r.paint("36", "<="), rd.Type, rd.Identifier, in)
			continue
		}
		where := ""
		if len(rd.Filter) > 0 {
			b, _ := json.Marshal(rd.Filter)
			where = " where " + string(b)
		}
		fmt.Fprintf(r.w, "  %s %s%s%s: read, %d found\n", r.paint("36", "<="), rd.Type, where, in, rd.Found)
	}
}

func formatDiff(a engine.Action, d engine.PropDiff) string {
	after := showValue(d.After)
	if d.Unknown {
		after = "(known after apply)"
	}
	forces := ""
	if d.ForcesReplacement {
		forces = " (forces replacement)"
	}
	switch {
	case d.Sensitive && a != engine.Create && d.Before != nil && d.After != nil:
		return fmt.Sprintf("%s: (sensitive value changed)%s", d.Name, forces)
	case a == engine.Create:
		return fmt.Sprintf("%s: %s", d.Name, after)
	case d.After == nil:
		return fmt.Sprintf("%s: %s → (removed)%s", d.Name, showValue(d.Before), forces)
	case d.Before == nil:
		return fmt.Sprintf("%s: (unset) → %s%s", d.Name, after, forces)
	}
	return fmt.Sprintf("%s: %s → %s%s", d.Name, showValue(d.Before), after, forces)
}

func showValue(v any) string {
	if engine.IsUnknown(v) {
		return "(known after apply)"
	}
	if v == secrets.Redacted {
		return secrets.Redacted
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// drift prints what refresh found.
func (r *reporter) drift(ds []engine.Drift) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writeDrift(ds)
}

// writeDrift prints drift. Called with r.mu held.
func (r *reporter) writeDrift(ds []engine.Drift) {
	if len(ds) == 0 {
		fmt.Fprintln(r.w, "No drift: every managed resource is as the last run left it.")
		return
	}
	fmt.Fprintf(r.w, "Changed outside the program:\n")
	for _, d := range ds {
		if d.Deleted {
			fmt.Fprintf(r.w, "  %s %s (%s) %s: deleted\n", r.paint("31", "-"), d.LogicalID, d.Type, d.Identifier)
			continue
		}
		fmt.Fprintf(r.w, "  %s %s (%s) %s:\n", r.paint("33", "~"), d.LogicalID, d.Type, d.Identifier)
		for _, p := range d.Diffs {
			before := "(unset)"
			if p.Before != nil {
				before = showValue(p.Before)
			}
			after := "(unset)"
			if p.After != nil {
				after = showValue(p.After)
			}
			fmt.Fprintf(r.w, "      %s: %s → %s\n", p.Name, before, after)
		}
	}
	fmt.Fprintf(r.w, "%s drifted; `up` restores what the program declares.\n", resources(len(ds)))
}

// resources is "1 resource" or "n resources".
func resources(n int) string {
	if n == 1 {
		return "1 resource"
	}
	return fmt.Sprintf("%d resources", n)
}

// optionNotes says how a change's resource options change what the run
// does; "" when they change nothing.
func optionNotes(c engine.Change) string {
	var notes []string
	if c.Action == engine.Replace && c.DeleteBeforeReplace {
		notes = append(notes, "the old one is deleted first (DeleteBeforeReplace)")
	}
	if c.Action == engine.Replace && c.Retain {
		notes = append(notes, "the old one is left in AWS (RetainOnDelete)")
	}
	if len(c.Ignored) > 0 {
		notes = append(notes, "ignoring changes to "+strings.Join(c.Ignored, ", ")+" (IgnoreChanges)")
	}
	if len(notes) == 0 {
		return ""
	}
	return "; " + strings.Join(notes, "; ")
}

// outputs prints the outputs an up recorded.
func (r *reporter) outputs(outs map[string]any) {
	if len(outs) == 0 || r.quiet {
		return
	}
	names := make([]string, 0, len(outs))
	for n := range outs {
		names = append(names, n)
	}
	sort.Strings(names)
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintln(r.w, "Outputs:")
	for _, n := range names {
		fmt.Fprintf(r.w, "  %s = %s\n", n, showValue(secrets.Redact(outs[n])))
	}
}

// planKey is the plan summary's key for a: its JSON name ("move" for moves).
func planKey(a engine.Action) string {
	if a == engine.Moved {
		return "move"
	}
	return string(a)
}
