// Command hello is examples/hello-c/hello.c as a persistent-mode handler on the Go SDK
// (runtime-init/sdk/go): one process serves every request of its container. Same logic and bytes:
// read the request head, answer 200 with the fixed body, shut the connection down for writing
// (hello.c's shutdown(SHUT_WR), so the client sees the end of the response before the pool closes its
// copy of the connection).
package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"

	faas "faaspool.dev/sdk"
)

const response = "HTTP/1.1 200 OK\r\n" +
	"Content-Type: text/plain\r\n" +
	"Content-Length: 22\r\n" +
	"Connection: close\r\n" +
	"\r\n" +
	"Hello from faas-pool!\n"

func handle(c net.Conn) error {
	buf := make([]byte, 8192)
	have := 0
	for have < len(buf)-1 {
		n, err := c.Read(buf[have : len(buf)-1])
		have += n
		if bytes.Contains(buf[:have], []byte("\r\n\r\n")) || err != nil {
			break
		}
	}
	if _, err := io.WriteString(c, response); err != nil {
		return err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		return tc.CloseWrite()
	}
	return nil
}

func main() {
	if err := faas.Serve(handle); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
