// handler.go: the design document's Go example (examples/go/handler.go) in persistent mode. The same
// response; instead of making a net.Conn of FAAS_CLIENT_FD and exiting, the process serves connection
// after connection through the Go SDK (runtime-init/sdk/go, module faaspool.dev/sdk), which closes each
// connection after the handler returns. Built static on the host (runtime-init/images/build.sh), like
// examples/go.
package main

import (
	"bufio"
	"fmt"
	"net"
	"os"

	faas "faaspool.dev/sdk"
)

func handle(conn net.Conn) error {
	// Read the request head first (the design's handler does not; the pool would drop what is left
	// unread, but an HTTP server reads its request).
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil || line == "\r\n" || line == "\n" {
			break
		}
	}

	// Handle HTTP request
	// (simplified - would need proper HTTP parsing)
	_, err := fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nHello from Go!\n")
	return err
}

func main() {
	if err := faas.Serve(handle); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
