package pgstore_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/state"
	"github.com/athanor-iac/athanor/state/pgstore"
	"github.com/athanor-iac/athanor/state/pgstore/pgtest"
)

// blackhole forwards TCP connections to addr until freeze is called; from
// then on it swallows what either side sends and answers nothing, keeping
// the connections open, as a network partition does.
type blackhole struct {
	ln     net.Listener
	frozen atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newBlackhole(t *testing.T, addr string) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln}
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, c := range b.conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			b.mu.Lock()
			b.conns = append(b.conns, c, s)
			b.mu.Unlock()
			go b.pipe(s, c)
			go b.pipe(c, s)
		}
	}()
	return b
}

func (b *blackhole) pipe(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if !b.frozen.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}

// Unlock returns, with an error, when the server stops answering (a
// network partition at the end of a run): a finished run must exit. The
// server ends the session, and with it the advisory lock, on its own.
func TestUnlockWhenTheServerStopsAnswering(t *testing.T) {
	u, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	hole := newBlackhole(t, u.Host)
	u.Host = hole.ln.Addr().String()
	s, err := state.Open(context.Background(), u.String(), pgtest.App("unlock"), "prod")
	if err != nil {
		t.Fatal(err)
	}
	// Closed while the hole swallows everything: pgx bounds its goodbye.
	t.Cleanup(func() { s.(io.Closer).Close() })
	lk, err := s.Lock(context.Background(), state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	pgstore.SetUnlockTimeout(lk, 200*time.Millisecond)
	hole.frozen.Store(true)
	done := make(chan error, 1)
	go func() { done <- lk.Unlock() }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Unlock = nil; want the error of a server that did not answer")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Unlock still waits for a server that stopped answering")
	}
}
