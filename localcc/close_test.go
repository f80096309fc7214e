package localcc_test

import (
	"net"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/localcc"
)

// A connection that has sent no request (a client's spare dial) does not
// hold up Close: Shutdown would wait five seconds for it and then fail.
func TestCloseWithAConnectionThatSentNothing(t *testing.T) {
	srv, err := localcc.Start(localcc.Options{}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := srv.Close(); err != nil {
		t.Fatalf("Close with an idle new connection: %v", err)
	}
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection that sent nothing is still open after Close")
	}
}
