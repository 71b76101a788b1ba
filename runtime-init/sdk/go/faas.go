// Package faas is the faas-pool persistent-mode SDK for Go: a handler process takes client
// connections from the pool in a loop, so its start leaves the request path.
//
// It speaks control protocol version 2 (runtime-init/PROTOCOL.md, "persistent"; the contract shared
// by every SDK is runtime-init/sdk/README.md): Serve connects to $FAAS_CONTROL_SOCK (default
// /control.sock), says "HELLO 2 <pid> <concurrency> trace", then takes client connections -- the byte
// 'F' carrying one descriptor (SCM_RIGHTS), or 'T' and the request's 55-byte W3C traceparent with it
// -- answering "ACK" and "RUN <pid>" for each, runs the handler on it in a goroutine of its own,
// closes it and says "DONE 0 <n>" ("DONE 1 <n>" if the handler returned an error or panicked), n
// numbering the requests from 1. Up to <concurrency> handlers run at once: $FAAS_CONCURRENCY (1 when
// unset or invalid, at most 1000), or fewer with ServeConcurrent. While a handler runs, TraceParent
// of its connection is its request's trace context.
//
//	import faas "faaspool.dev/sdk"
//
//	func main() {
//		err := faas.Serve(func(c net.Conn) error { _, err := io.WriteString(c, "hello\n"); return err })
//		if err != nil {
//			log.Fatal(err) // exit 1; nil: the pool closed the control connection, exit 0
//		}
//	}
package faas

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ProtocolVersion is the control protocol version this package speaks.
const ProtocolVersion = 2

// DefaultControlSock is where the control socket is when $FAAS_CONTROL_SOCK is unset or empty.
const DefaultControlSock = "/control.sock"

// MaxConcurrency caps the concurrency $FAAS_CONCURRENCY asks for.
const MaxConcurrency = 1000

const (
	maxLine      = 128 // bytes, with the newline (PROTOCOL.md)
	maxFDs       = 4   // room to notice, and close, descriptors beyond the one expected
	traceMessage = 56  // 'T' and a traceparent (PROTOCOL.md, Trace context): the most one message has
)

// traces holds the trace context of each connection whose handler runs, from the receive to the
// handler's return; handlers read it while the receiving goroutine adds to it.
var traces = struct {
	sync.Mutex
	m map[net.Conn]string
}{m: map[net.Conn]string{}}

// TraceParent returns the W3C traceparent of the request on conn, the connection a handler of Serve
// was given, while that handler runs: 55 characters, "00-<trace id>-<parent id>-<flags>", which the
// handler's own spans take as their parent. It returns "" when the request came without one (or conn
// is no running handler's connection).
func TraceParent(conn net.Conn) string {
	traces.Lock()
	defer traces.Unlock()
	return traces.m[conn]
}

// Serve serves client connections from the pool with handler, up to $FAAS_CONCURRENCY at once (one
// when the variable is unset, empty or not a positive integer; at most MaxConcurrency).
//
// The handler gets the client's TCP connection as a net.Conn (a *net.TCPConn), each in a goroutine
// of its own; Serve closes the connection after the handler returns. With a concurrency above 1,
// handlers run concurrently: state they share needs locking. A handler error or panic ends that
// request with "DONE 1 <n>" and one line on stderr; Serve serves on. Serve returns nil when the pool
// closes the control connection (the process should exit 0), once the handlers still running have
// returned, and an error naming the failed step on a control-socket or protocol failure, after
// reporting it to the pool as "FAIL <stage> <errno> <text>" (the process should exit 1).
func Serve(handler func(net.Conn) error) error {
	return serve(0, handler)
}

// ServeConcurrent is Serve for a handler that serves at most max connections at once: it serves the
// smaller of max (1 if below 1) and $FAAS_CONCURRENCY at once.
func ServeConcurrent(max int, handler func(net.Conn) error) error {
	if max < 1 {
		max = 1
	}
	return serve(max, handler)
}

// serve is Serve with at most max handlers at once, max 0 meaning $FAAS_CONCURRENCY's.
func serve(max int, handler func(net.Conn) error) error {
	path := os.Getenv("FAAS_CONTROL_SOCK")
	if path == "" {
		path = DefaultControlSock
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("faas-sdk: connect to %s: %w", path, unwrapSyscall(err))
	}
	ctl := &control{UnixConn: c}
	defer c.Close()

	concurrency := envConcurrency(os.Getenv("FAAS_CONCURRENCY"))
	if max > 0 && max < concurrency {
		concurrency = max
	}
	pid := os.Getpid()
	if err := ctl.send("HELLO %d %d %d trace", ProtocolVersion, pid, concurrency); err != nil {
		return fmt.Errorf("faas-sdk: send HELLO: %w", err)
	}
	// A slot per running handler: the receiver takes one before it receives, so it never receives
	// while all of them run, however many descriptors the pool sends.
	slots := make(chan struct{}, concurrency)
	var running sync.WaitGroup
	for request := uint64(1); ; request++ {
		slots <- struct{}{}
		conn, trace, err := ctl.receive()
		if err != nil {
			return err
		}
		if conn == nil {
			running.Wait() // the pool is done with this container: let the handlers finish
			return nil
		}
		if trace != "" {
			traces.Lock()
			traces.m[conn] = trace
			traces.Unlock()
		}
		// ACK and RUN in one write: one system call here, one wake-up of the pool (PROTOCOL.md: lines
		// are a stream; the pool reads both at once). Before the handler starts, so before its DONE.
		if err := ctl.sendRaw(fmt.Sprintf("ACK\nRUN %d\n", pid)); err != nil {
			forgetTrace(conn)
			conn.Close()
			return fmt.Errorf("faas-sdk: send ACK: %w", err)
		}
		if concurrency == 1 {
			// One at a time: on this goroutine, as before concurrency existed (no hand-over to another).
			serveOne(ctl, handler, conn, request)
			<-slots
			continue
		}
		running.Add(1)
		go func(conn net.Conn, request uint64) {
			defer running.Done()
			serveOne(ctl, handler, conn, request)
			<-slots
		}(conn, request)
	}
}

// serveOne runs the handler on request number request, closes its connection and says DONE.
func serveOne(ctl *control, handler func(net.Conn) error, conn net.Conn, request uint64) {
	status := 0
	if err := run(handler, conn); err != nil {
		status = 1
		logf("handler failed: %v", err)
	}
	forgetTrace(conn) // the request is over: its context goes with it
	conn.Close()
	_ = ctl.send("DONE %d %d", status, request) // if the pool went away, the receiver sees it
}

func forgetTrace(conn net.Conn) {
	traces.Lock()
	delete(traces.m, conn)
	traces.Unlock()
}

// envConcurrency is the concurrency $FAAS_CONCURRENCY asks for: a positive decimal integer, at most
// MaxConcurrency; anything else means 1.
func envConcurrency(value string) int {
	if value == "" || strings.Trim(value, "0123456789") != "" {
		return 1
	}
	n, err := strconv.Atoi(value)
	switch {
	case err != nil: // all digits, so out of range: too many
		return MaxConcurrency
	case n < 1:
		return 1
	case n > MaxConcurrency:
		return MaxConcurrency
	}
	return n
}

// run calls the handler, turning a panic into an error.
func run(handler func(net.Conn) error, conn net.Conn) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return handler(conn)
}

// control is the control connection. Its lines go out whole, one write each, however many
// goroutines send them.
type control struct {
	*net.UnixConn
	mu sync.Mutex
}

func (c *control) sendRaw(lines string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.Write([]byte(lines))
	return unwrapSyscall(err)
}

func (c *control) send(format string, args ...interface{}) error {
	line := fmt.Sprintf(format, args...)
	if len(line) > maxLine-1 {
		line = line[:maxLine-1]
	}
	return c.sendRaw(line + "\n")
}

// fail reports a protocol failure to the pool (best effort) and returns it as an error.
func (c *control) fail(stage string, errno syscall.Errno, what string) error {
	reason := what
	if errno != 0 {
		reason = strerror(errno)
		what += ": " + reason
	}
	_ = c.send("FAIL %s %d %s", stage, int(errno), reason)
	return errors.New("faas-sdk: " + what)
}

// receive blocks for the next client connection and returns it with its traceparent ("" after an
// 'F'); it returns a nil connection and no error when the pool closed the control connection.
// Descriptors beyond the first are closed.
func (c *control) receive() (net.Conn, string, error) {
	var b [traceMessage]byte
	oob := make([]byte, syscall.CmsgSpace(maxFDs*4))
	n, oobn, flags, _, err := c.ReadMsgUnix(b[:], oob) // MSG_CMSG_CLOEXEC: Go sets it on Linux
	if err != nil && !(n == 0 && errors.Is(err, io.EOF)) {
		return nil, "", c.fail("recv", errnoOf(err), "recvmsg")
	}
	fds, perr := unixRights(oob[:oobn])
	if n == 0 {
		closeAll(fds)
		return nil, "", nil
	}
	if b[0] == 'T' && n < traceMessage {
		// A stream may split the 56 bytes of a T; the pool sends nothing more before our RUN. EOF
		// within them leaves the message short, so malformed below.
		more, err := io.ReadFull(c, b[n:])
		n += more
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			closeAll(fds)
			return nil, "", c.fail("recv", errnoOf(err), "recvmsg")
		}
	}
	trace := ""
	switch {
	case b[0] == 'T':
		if !validTraceParent(b[1:n]) {
			closeAll(fds)
			return nil, "", c.fail("proto", 0, "bad trace context")
		}
		trace = string(b[1:n])
	case b[0] != 'F' || n != 1:
		closeAll(fds)
		return nil, "", c.fail("proto", 0, "unexpected message from the pool")
	}
	if perr != nil || len(fds) != 1 || flags&syscall.MSG_CTRUNC != 0 {
		closeAll(fds)
		return nil, "", c.fail("nofd", 0, "message did not carry exactly one descriptor")
	}
	// net.FileConn makes the descriptor non-blocking for Go's poller (O_NONBLOCK is the open file's,
	// shared with the pool's copy; the pool never blocks on it), so it is not made blocking first.
	f := os.NewFile(uintptr(fds[0]), "faas-client")
	defer f.Close()
	conn, err := net.FileConn(f)
	if err != nil {
		return nil, "", c.fail("recv", errnoOf(err), "the client descriptor")
	}
	return conn, trace, nil
}

// validTraceParent reports whether p is a traceparent of version 00 as the pool sends it (PROTOCOL.md,
// Trace context): "00-<32 hex>-<16 hex>-<2 hex>", lower-case, neither id all zeros.
func validTraceParent(p []byte) bool {
	if len(p) != traceMessage-1 || string(p[:3]) != "00-" || p[35] != '-' || p[52] != '-' {
		return false
	}
	traceID, parentID, flags := p[3:35], p[36:52], p[53:]
	return lowerHex(traceID) && lowerHex(parentID) && lowerHex(flags) && !allZeros(traceID) && !allZeros(parentID)
}

func lowerHex(s []byte) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func allZeros(s []byte) bool {
	for _, c := range s {
		if c != '0' {
			return false
		}
	}
	return true
}

func unixRights(oob []byte) ([]int, error) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level != syscall.SOL_SOCKET || msgs[i].Header.Type != syscall.SCM_RIGHTS {
			continue
		}
		got, err := syscall.ParseUnixRights(&msgs[i])
		if err != nil {
			return fds, err
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		syscall.Close(fd)
	}
}

func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return 0
}

// unwrapSyscall shortens "dial unix /x: connect: no such file ..." to the system call's error,
// spelled as C's strerror spells it.
func unwrapSyscall(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return sysError{errno}
	}
	return err
}

// sysError is an errno with C's strerror text ("No such file or directory"); errors.Is sees the errno.
type sysError struct{ errno syscall.Errno }

func (e sysError) Error() string { return strerror(e.errno) }
func (e sysError) Unwrap() error { return e.errno }

// strerror is errno's text as C's strerror has it, which Go spells in lower case.
func strerror(errno syscall.Errno) string {
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

func logf(format string, args ...interface{}) {
	fmt.Fprintln(os.Stderr, "faas-sdk: "+strings.Join(strings.Fields(fmt.Sprintf(format, args...)), " "))
}
