package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
)

// markTable is this process's table of marked values (see Mark): a mark
// holds a random token that stands for its value here, so that what a
// program prints of a marked string (fmt.Println, a log line) is a
// meaningless token; the value exists only in this process's memory.
//
// A table of tokens, not the value encrypted under a process key: a
// deterministic encryption (equal values must get equal tokens, for the
// engine compares a program's values with state) would have to be put
// together from primitives the standard library and x/crypto do not offer
// as one, and the table needs no cryptography beyond its random tokens.
//
// It is package-level because marks are made where no run or App is at
// hand: athanor.Secret takes only the value and may be called before
// athanor.Run; the engine's MarkSchema and MarkKnown and the stores that
// decrypt state and outputs mark too, and a value marked by one App must
// read the same in another of the same process (a test, a program that
// reads another stage's outputs). Like the standard library's unique
// package it only ever interns: an entry, once made, never changes, so
// no caller can observe another's use of it.
var markTable = &tokenTable{byValue: map[string]string{}, byToken: map[string]string{}}

type tokenTable struct {
	mu      sync.Mutex
	byValue map[string]string
	byToken map[string]string
}

// token returns the token that stands for plain, the same for equal
// values: 128 random bits, so that a token from another process or
// another text never names a value of this one.
func (t *tokenTable) token(plain string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tok, ok := t.byValue[plain]; ok {
		return tok
	}
	var b [16]byte
	rand.Read(b[:]) // never fails: crypto/rand crashes the process instead
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	t.byValue[plain], t.byToken[tok] = tok, plain
	return tok
}

// value returns the value tok stands for; false when tok is not one (cut
// short, or made by another process).
func (t *tokenTable) value(tok string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.byToken[tok]
	return v, ok
}
