package state

import (
	"fmt"
	"strings"
)

// MaxLogicalIDLen is the longest logical ID a stage can hold. It keeps file
// names and object keys of every backend well within platform limits.
const MaxLogicalIDLen = 128

// ValidateLogicalID reports whether id can name a record: 1 to 128 ASCII
// letters, digits, '-', '_' and '.', not starting with '.', and not a name
// Windows reserves for devices (CON, NUL, COM1, ...). The rules are the same
// on every platform so that state written on Linux can be used on macOS and
// Windows, and so that every backend accepts the same IDs.
func ValidateLogicalID(id string) error {
	return validateName("logical ID", id)
}

func validateName(kind, name string) error {
	if name == "" {
		return fmt.Errorf("empty %s", kind)
	}
	if len(name) > MaxLogicalIDLen {
		return fmt.Errorf("%s %.20q... is %d characters long; at most %d are allowed", kind, name, len(name), MaxLogicalIDLen)
	}
	if name[0] == '.' {
		return fmt.Errorf("%s %q starts with '.'; use a letter or digit", kind, name)
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return fmt.Errorf("%s %q contains %q; use only letters, digits, '-', '_' and '.'", kind, name, rune(name[i]))
		}
	}
	stem, _, _ := strings.Cut(strings.ToLower(name), ".")
	if windowsReserved(stem) {
		return fmt.Errorf("%s %q is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9); choose another", kind, name)
	}
	return nil
}

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}

func windowsReserved(stem string) bool {
	switch stem {
	case "con", "prn", "aux", "nul":
		return true
	}
	if len(stem) == 4 && (strings.HasPrefix(stem, "com") || strings.HasPrefix(stem, "lpt")) {
		return '0' <= stem[3] && stem[3] <= '9'
	}
	return false
}

// escapeName turns a valid name into a file name that is distinct from every
// other valid name even on case-insensitive file systems (macOS, Windows),
// where "Bucket.json" and "bucket.json" are the same file: each upper-case
// letter becomes '+' and its lower-case form, as the Go module cache does
// with '!'. ('!' would trigger history expansion in interactive shells.)
func escapeName(name string) string {
	if strings.IndexFunc(name, func(r rune) bool { return 'A' <= r && r <= 'Z' }) < 0 {
		return name
	}
	var b strings.Builder
	b.Grow(len(name) + 8)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			b.WriteByte('+')
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// unescapeName reverses escapeName, reporting false for a file name that
// escapeName cannot have produced.
func unescapeName(file string) (string, bool) {
	var b strings.Builder
	b.Grow(len(file))
	for i := 0; i < len(file); i++ {
		c := file[i]
		switch {
		case c == '+':
			if i+1 == len(file) || file[i+1] < 'a' || file[i+1] > 'z' {
				return "", false
			}
			i++
			b.WriteByte(file[i] - ('a' - 'A'))
		case 'A' <= c && c <= 'Z':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
