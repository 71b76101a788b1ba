// Command echo is a line echo handler on the Go SDK (runtime-init/sdk/go), the one SdkConformanceIT
// runs: it reads one line from the client and answers "echo <line>"; the line "raise" makes it
// return an error instead, which the SDK reports as DONE 1; the line "traceparent" is answered
// "traceparent <value>", the request's trace context as faas.TraceParent has it ("none" for ""). An
// argument, "echo <max>", asks the SDK to serve at most <max> connections at once
// (faas.ServeConcurrent); $FAAS_CONCURRENCY says how many it may.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
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
	if line == "traceparent" {
		trace := faas.TraceParent(c)
		if trace == "" {
			trace = "none"
		}
		_, err = fmt.Fprintf(c, "traceparent %s\n", trace)
		return err
	}
	_, err = fmt.Fprintf(c, "echo %s\n", line)
	return err
}

func main() {
	var err error
	if len(os.Args) > 1 {
		max, perr := strconv.Atoi(os.Args[1])
		if perr != nil {
			fmt.Fprintln(os.Stderr, "usage: echo [max-concurrency]")
			os.Exit(2)
		}
		err = faas.ServeConcurrent(max, handle)
	} else {
		err = faas.Serve(handle)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
