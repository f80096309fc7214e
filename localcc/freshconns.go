package localcc

import (
	"net"
	"net/http"
	"sync"
)

// freshConns are the endpoint's connections that have not sent a request
// yet. http.Server.Shutdown counts such a connection as busy for its first
// five seconds, so a client's spare connection (a dial an abandoned call
// left behind) held every Close for five seconds.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]bool
}

// track is the http.Server's ConnState hook.
func (f *freshConns) track(c net.Conn, st http.ConnState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st == http.StateNew {
		if f.conns == nil {
			f.conns = map[net.Conn]bool{}
		}
		f.conns[c] = true
		return
	}
	delete(f.conns, c)
}

// closeAll closes the connections that have sent no request.
func (f *freshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		c.Close()
	}
	f.conns = nil
}
