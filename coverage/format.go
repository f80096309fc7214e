package coverage

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints one line per account and region (its VPCs, how many
// are covered, how many by others' flow logs, and the uncovered VPCs), one
// line per skipped account or region ("all" regions for a whole account,
// "-" counts, and "skipped: REASON"), and a total line that says how many
// were skipped.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tVPCS\tCOVERED\tBY OTHERS\tUNCOVERED")
	for _, s := range r.Scopes {
		others := 0
		for _, v := range s.VPCs {
			if v.ByOthers {
				others++
			}
		}
		unc := s.Uncovered()
		list := strings.Join(unc, " ")
		if len(unc) > 4 {
			list = strings.Join(unc[:4], " ") + fmt.Sprintf(" (+%d more)", len(unc)-4)
		}
		if list == "" {
			list = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", s.Account, s.Region, s.Total, s.Covered, others, list)
	}
	for _, s := range r.Skipped {
		region := s.Region
		if region == "" {
			region = "all"
		}
		fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\tskipped: %s\n", s.Account, region, s.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d of %d VPCs covered (%s)%s\n", r.Covered, r.Total, r.PercentText(), r.SkippedText())
	return err
}

// SkippedText is "" when nothing was skipped, else how many accounts and
// regions were, for the end of a total line: "; skipped, not counted:
// 2 accounts".
func (r Report) SkippedText() string {
	accounts, regions := 0, 0
	for _, s := range r.Skipped {
		if s.Region == "" {
			accounts++
		} else {
			regions++
		}
	}
	var parts []string
	if accounts > 0 {
		parts = append(parts, plural(accounts, "account"))
	}
	if regions > 0 {
		parts = append(parts, plural(regions, "region"))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; skipped, not counted: " + strings.Join(parts, " and ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// PercentText is the share covered for people: "100 %", "87.5 %". It is
// 100 % only when every VPC is covered.
func (r Report) PercentText() string {
	if r.Covered < r.Total && r.Percent > 99.9 {
		return "99.9 %"
	}
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", r.Percent), "0"), ".") + " %"
}

// FormatVersion is the version of WriteJSON's document (docs/json.md):
// fields may be added within it, never removed or changed in meaning.
const FormatVersion = 1

// WriteJSON prints the report as one JSON document: formatVersion and the
// Report's fields, every VPC and every skipped account included.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		FormatVersion int `json:"formatVersion"`
		Report
	}{FormatVersion, r})
}
