package codegen

import (
	"go/token"
	"strings"
	"unicode"
)

// goName turns a CloudFormation property or definition name into an
// exported Go identifier: the first letter upper case, anything that
// cannot be in an identifier replaced by '_'.
func goName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := b.String()
	if out == "" {
		return "X"
	}
	r := []rune(out)
	if !unicode.IsLetter(r[0]) {
		return "X" + out
	}
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// enumValueName turns an enum value into the suffix of its constant:
// "cloud-watch-logs" → CloudWatchLogs, "ALL" → All, "NetworkInterface"
// stays. Adjacent groups of digits keep a '_' between them ("1.0" → 1_0).
func enumValueName(v string) string {
	words := strings.FieldsFunc(v, func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r)) || r > unicode.MaxASCII })
	var b strings.Builder
	prevDigit := false
	for _, w := range words {
		startsDigit := w[0] >= '0' && w[0] <= '9'
		if prevDigit && startsDigit {
			b.WriteByte('_')
		}
		if isUpperWord(w) {
			w = strings.ToLower(w)
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		prevDigit = w[len(w)-1] >= '0' && w[len(w)-1] <= '9'
	}
	return b.String()
}

// isUpperWord reports whether w has letters and all of them upper case.
func isUpperWord(w string) bool {
	letters := false
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			letters = true
		}
	}
	return letters
}

// packageName is the Go package of a service: its lower-case name, made a
// valid, unreserved identifier.
func packageName(service string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(service) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	name := b.String()
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		name = "aws" + name
	}
	switch {
	case token.IsKeyword(name), name == "internal", name == "athanor", name == "typed", name == "testdata":
		name += "svc"
	}
	return name
}

// wholeWords are the words in type names whose letter case would split
// them (FSx → f_sx, GraphQL → graph_ql): snake keeps each whole, written as
// one capitalised word first.
var wholeWords = strings.NewReplacer("FSx", "Fsx", "GraphQL", "Graphql", "OAuth", "Oauth", "OTel", "Otel")

// snake is the file name stem of a type: FlowLog → flow_log,
// VPCEndpoint → vpc_endpoint, EC2Fleet → ec2_fleet, and acronyms of mixed
// case whole: GraphQLApi → graphql_api, LocationFSxOntap →
// location_fsx_ontap.
func snake(s string) string {
	r := []rune(wholeWords.Replace(s))
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) {
			prev := r[i-1]
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || unicode.IsUpper(prev) && nextLower {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// goFileSuffixes are the file name endings the go command reads as build
// constraints or test files.
var goFileSuffixes = map[string]bool{
	"test": true, "aix": true, "android": true, "darwin": true, "dragonfly": true, "freebsd": true, "hurd": true,
	"illumos": true, "ios": true, "js": true, "linux": true, "nacl": true, "netbsd": true, "openbsd": true, "plan9": true,
	"solaris": true, "wasip1": true, "windows": true, "zos": true, "386": true, "amd64": true, "amd64p32": true, "arm": true,
	"armbe": true, "arm64": true, "arm64be": true, "loong64": true, "mips": true, "mipsle": true, "mips64": true,
	"mips64le": true, "mips64p32": true, "mips64p32le": true, "ppc": true, "ppc64": true, "ppc64le": true, "riscv": true,
	"riscv64": true, "s390": true, "s390x": true, "sparc": true, "sparc64": true, "wasm": true,
}

// fileName is the file of a type, safe from the go command's file name
// rules and from the package's doc.go.
func fileName(typeName string) string {
	stem := snake(typeName)
	parts := strings.Split(stem, "_")
	if goFileSuffixes[parts[len(parts)-1]] || stem == "doc" || strings.HasPrefix(stem, "_") {
		stem += "_type"
	}
	return stem + ".go"
}

// sanitize makes a schema description fit for a Go comment: one paragraph,
// whitespace collapsed, control characters dropped.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// comment wraps text into // lines of at most width columns after indent.
func comment(indent, text string, width int) string {
	if text == "" {
		return ""
	}
	var b strings.Builder
	line := 0
	for _, w := range strings.Fields(text) {
		if line > 0 && line+1+len(w) > width {
			b.WriteString("\n")
			line = 0
		}
		if line == 0 {
			b.WriteString(indent + "//")
			line = len(indent) + 2
		}
		b.WriteString(" " + w)
		line += 1 + len(w)
	}
	b.WriteString("\n")
	return b.String()
}
