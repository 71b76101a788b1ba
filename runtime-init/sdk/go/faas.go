// Package faas is the faas-pool persistent-mode SDK for Go: a handler process takes client
// connections from the pool in a loop, so its start leaves the request path.
//
// It speaks control protocol version 1 (runtime-init/PROTOCOL.md, "persistent"; the contract shared
// by every SDK is runtime-init/sdk/README.md): Serve connects to $FAAS_CONTROL_SOCK (default
// /control.sock), says "HELLO 1 <pid>", then takes one client connection at a time -- the byte 'F'
// carrying one descriptor (SCM_RIGHTS) -- and answers "ACK", "RUN <pid>", runs the handler on it,
// closes it and says "DONE 0" ("DONE 1" if the handler returned an error or panicked).
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
	"strings"
	"syscall"
)

// ProtocolVersion is the control protocol version this package speaks.
const ProtocolVersion = 1

// DefaultControlSock is where the control socket is when $FAAS_CONTROL_SOCK is unset or empty.
const DefaultControlSock = "/control.sock"

const (
	maxLine = 128 // bytes, with the newline (PROTOCOL.md)
	maxFDs  = 4   // room to notice, and close, descriptors beyond the one expected
)

// Serve serves client connections from the pool with handler, one at a time.
//
// The handler gets the client's TCP connection as a net.Conn (a *net.TCPConn); Serve closes it
// after the handler returns. A handler error or panic ends that request with "DONE 1" and one line
// on stderr; Serve then takes the next connection. Serve returns nil when the pool closes the control
// connection (the process should exit 0), and an error naming the failed step on a control-socket or
// protocol failure, after reporting it to the pool as "FAIL <stage> <errno> <text>" (the process
// should exit 1).
func Serve(handler func(net.Conn) error) error {
	path := os.Getenv("FAAS_CONTROL_SOCK")
	if path == "" {
		path = DefaultControlSock
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("faas-sdk: connect to %s: %w", path, unwrapSyscall(err))
	}
	ctl := &control{c}
	defer c.Close()

	pid := os.Getpid()
	if err := ctl.send("HELLO %d %d", ProtocolVersion, pid); err != nil {
		return fmt.Errorf("faas-sdk: send HELLO: %w", err)
	}
	for {
		conn, err := ctl.receive()
		if err != nil {
			return err
		}
		if conn == nil {
			return nil // the pool is done with this container
		}
		// ACK and RUN in one write: one system call here, one wake-up of the pool (PROTOCOL.md: lines
		// are a stream; the pool reads both at once).
		if err := ctl.sendRaw(fmt.Sprintf("ACK\nRUN %d\n", pid)); err != nil {
			conn.Close()
			return fmt.Errorf("faas-sdk: send ACK: %w", err)
		}
		status := 0
		if err := run(handler, conn); err != nil {
			status = 1
			logf("handler failed: %v", err)
		}
		conn.Close()
		_ = ctl.send("DONE %d", status) // if the pool went away, the next receive sees it
	}
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

type control struct {
	*net.UnixConn
}

func (c *control) sendRaw(lines string) error {
	_, err := c.Write([]byte(lines))
	return unwrapSyscall(err)
}

func (c *control) send(format string, args ...interface{}) error {
	line := fmt.Sprintf(format, args...)
	if len(line) > maxLine-1 {
		line = line[:maxLine-1]
	}
	_, err := c.Write([]byte(line + "\n"))
	return unwrapSyscall(err)
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

// receive blocks for the next client connection; it returns nil, nil when the pool closed the
// control connection. Descriptors beyond the first are closed.
func (c *control) receive() (net.Conn, error) {
	var b [1]byte
	oob := make([]byte, syscall.CmsgSpace(maxFDs*4))
	n, oobn, flags, _, err := c.ReadMsgUnix(b[:], oob) // MSG_CMSG_CLOEXEC: Go sets it on Linux
	if err != nil && !(n == 0 && errors.Is(err, io.EOF)) {
		return nil, c.fail("recv", errnoOf(err), "recvmsg")
	}
	fds, perr := unixRights(oob[:oobn])
	if n == 0 {
		closeAll(fds)
		return nil, nil
	}
	if b[0] != 'F' {
		closeAll(fds)
		return nil, c.fail("proto", 0, "unexpected message from the pool")
	}
	if perr != nil || len(fds) != 1 || flags&syscall.MSG_CTRUNC != 0 {
		closeAll(fds)
		return nil, c.fail("nofd", 0, "message did not carry exactly one descriptor")
	}
	// net.FileConn makes the descriptor non-blocking for Go's poller (O_NONBLOCK is the open file's,
	// shared with the pool's copy; the pool never blocks on it), so it is not made blocking first.
	f := os.NewFile(uintptr(fds[0]), "faas-client")
	defer f.Close()
	conn, err := net.FileConn(f)
	if err != nil {
		return nil, c.fail("recv", errnoOf(err), "the client descriptor")
	}
	return conn, nil
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
