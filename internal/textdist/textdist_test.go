package textdist

import "testing"

func TestLevenshtein(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"s3", "S3", 1}, {"kitten", "sitting", 3}, {"", "abc", 3}, {"flowlog", "flowlog", 0}, {"é", "e", 1}, {"src-port", "srcport", 1},
	} {
		if got := Levenshtein(tc.a, tc.b); got != tc.want {
			t.Errorf("Levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
