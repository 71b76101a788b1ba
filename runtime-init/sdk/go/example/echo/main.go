// Command echo is a line echo handler on the Go SDK (runtime-init/sdk/go), the one SdkConformanceIT
// runs: it reads one line from the client and answers "echo <line>"; the line "raise" makes it
// return an error instead, which the SDK reports as DONE 1 before it takes the next connection.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	faas "faaspool.dev/sdk"
)

func handle(c net.Conn) error {
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	line = strings.TrimSuffix(line, "\n")
	if line == "raise" {
		return errors.New("asked to fail")
	}
	_, err = fmt.Fprintf(c, "echo %s\n", line)
	return err
}

func main() {
	if err := faas.Serve(handle); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
