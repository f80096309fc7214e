package secrets

import (
	"encoding/base64"
	"strings"
)

// storedOpen starts a mark in the form a marked string takes inside the
// stage's encryption: the value base64-encoded, between storedOpen and
// markClose. A process's tokens (see Mark) open only in that process, so a
// value is stored in this form, which any later run reads back; being
// encrypted and fingerprinted as a whole, it is never written anywhere in
// the clear. It is also the form marks had in memory before they were
// tokens, so state written then opens, and keeps its fingerprints, as it
// is.
const storedOpen = "⟦sensitive:"

// toStored returns s with each mark in the stored form: what is encrypted
// and fingerprinted.
func toStored(s string) string {
	return replaceSecrets(s, func(v string) string {
		return storedOpen + base64.RawURLEncoding.EncodeToString([]byte(v)) + markClose
	})
}

// fromStored returns s, decrypted from state, with its marks as this
// process's tokens.
func fromStored(s string) string {
	if !strings.Contains(s, storedOpen) {
		return s
	}
	var b strings.Builder
	decode := func(enc string) (string, bool) {
		dec, err := base64.RawURLEncoding.DecodeString(enc)
		return string(dec), err == nil
	}
	segmentsOf(s, storedOpen, decode, func(p string, secret bool) {
		if secret {
			p = Mark(p)
		}
		b.WriteString(p)
	})
	return b.String()
}
