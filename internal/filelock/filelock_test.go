package filelock

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestAcquireIsExclusiveAndSaysWhoHoldsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "lock")
	a, err := Acquire(path, []byte("first"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(path, []byte("second"))
	var held *HeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrLocked) || string(held.Content) != "first" {
		t.Fatalf("second Acquire: %v, want a *HeldError with content %q", err, "first")
	}
	if content, isHeld, err := Inspect(path, false); err != nil || !isHeld || string(content) != "first" {
		t.Fatalf("Inspect while held = %q, %v, %v", content, isHeld, err)
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	b, err := Acquire(path, []byte("second"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Previous()) != 0 {
		t.Errorf("after an Unlock, Previous = %q, want nothing", b.Previous())
	}
	if err := b.Unlock(); err != nil {
		t.Fatal(err)
	}
}

// A holder that dies leaves its content for the next holder to report; a
// holder that gives up restores it.
func TestCrashLeavesContentAbandonRestoresIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	a, err := Acquire(path, []byte("dead"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Crash(); err != nil {
		t.Fatal(err)
	}
	if content, isHeld, err := Inspect(path, false); err != nil || isHeld || string(content) != "dead" {
		t.Fatalf("Inspect after a crash = %q, %v, %v; want the dead holder's content, not held", content, isHeld, err)
	}
	b, err := Acquire(path, []byte("next"))
	if err != nil {
		t.Fatal(err)
	}
	if string(b.Previous()) != "dead" {
		t.Errorf("Previous = %q, want %q", b.Previous(), "dead")
	}
	if err := b.Abandon(); err != nil {
		t.Fatal(err)
	}
	if content, _, err := Inspect(path, true); err != nil || string(content) != "dead" {
		t.Fatalf("after Abandon the file holds %q (%v), want %q", content, err, "dead")
	}
	if content, _, _ := Inspect(path, false); len(content) != 0 {
		t.Errorf("Inspect with clear left %q", content)
	}
}
