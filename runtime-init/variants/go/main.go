// faas-init, Go variant: takes client connections from the faas-pool control socket and runs the
// handler on them.
//
//	faas-init-go <command> [args...]
//
// Speaks control protocol version 2 (runtime-init/PROTOCOL.md) exactly as the C init
// (runtime-init/faas-init.c) does. FAAS_MODE picks the mode:
//
//	oneshot (default)  connect -> HELLO 2 <pid> 1 trace -> recvmsg -> ACK -> exec the handler on the
//	                   connection.
//	fork               connect -> HELLO 2 <pid> 1 trace, then per connection n = 1, 2, ...: recvmsg -> ACK ->
//	                   fork, exec the handler -> RUN <pid> -> wait -> DONE <status> <n>; EOF from the
//	                   pool ends it.
//	persistent         exec the handler at once; it speaks the protocol itself through an SDK.
//
// Oneshot and fork mode serve one connection at a time, so HELLO announces a concurrency of 1.
// They take trace context ("trace" in HELLO): the pool sends each descriptor with 'F', or with 'T' and
// a 55-byte W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>, lower case, neither id all zeros), and the
// handler runs with TRACEPARENT set to it after a 'T' and with no TRACEPARENT at all after an 'F',
// whatever this process's own environment holds. A 'T' whose 55 bytes are anything else is
// FAIL proto 0 bad trace context, exit 1.
//
// The handler finds the connection at descriptor 3: FAAS_CLIENT_FD=3, and LISTEN_FDS=1, LISTEN_PID,
// LISTEN_FDNAMES=connection for sd_listen_fds(); with FAAS_STDIO=1 also as stdin and stdout.
// The control connection is close-on-exec: in oneshot mode a successful exec shows up as EOF.
//
// FAAS_ISOLATION (fork mode): container (default, also when unset or empty) lets requests share the
// container; request, after each handler's wait and before its DONE, kills every other process of the
// container (kill(-1, SIGKILL), then reaps until ECHILD) and empties /tmp and /dev/shm (see isolate).
// request refuses to start (exit 2) unless this process is PID 1 of its PID namespace: kill(-1)
// anywhere else would kill the machine, and the host's /tmp is not ours to empty. Oneshot and
// persistent mode accept either value and ignore it; any other value exits 2.
//
// In every mode the init first makes itself non-dumpable (prctl(PR_SET_DUMPABLE, 0)): a handler of the
// same uid then cannot ptrace the init or open its /proc/<pid>/mem or environ. Exec makes a process
// dumpable again, so handlers (and the fork-mode helper below) are not affected.
//
// Exit codes: 0 fork mode ended by the pool, 1 control-socket failure, 2 usage,
// 126 handler not executable, 127 handler not found.
//
// Grown from "Approach 4: Go Implementation" of the design document (faas-runtime-design.md), with
// the syscall package throughout. Where Go differs from C:
//   - Go runs no code of ours between fork and exec, but LISTEN_PID must be the handler's own pid.
//     So in fork mode the init starts itself again (/proc/self/exe, argv[0] execHelper) with the
//     connection at 3 and a report pipe at 4; that process, whose pid the handler keeps, does what the
//     C init's forked child does: sets the environment, execs the handler, or writes the errno to the
//     pipe and exits 126 or 127.
//   - The handler is found as execvp(3) finds it (see execvp), not with exec.LookPath.
//   - Package os raises the soft open-file limit; package nofile puts it back (see there).
package main

import (
	"faaspool.dev/faas-init/nofile" // first, so that it initialises before package os

	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

const (
	protocolVersion    = 2
	concurrency        = 1 // connections served at once: one, in oneshot and fork mode
	defaultControlSock = "/control.sock"
	clientFD           = 3
	traceparentLen     = 55 // "00-" 32 hex "-" 16 hex "-" 2 hex: the bytes after a 'T'
	reportFD           = 4  // in the fork-mode helper: where exec failures are reported
	controlFDMin       = 10 // keeps the control connection clear of 0-4
	maxLine            = 128
	exitControl        = 1
	exitUsage          = 2
	exitNoExec         = 126
	exitNotFound       = 127
	execHelper         = "faas-init:exec-handler" // argv[0] of the fork-mode helper
	wipeDepth          = 32                       // directories open at once while emptying one; deeper ones are moved up
	wipePasses         = 1000000                  // bounds the passes over the top directory (each hoist shortens a chain)
	atRemoveDir        = 0x200                    // AT_REMOVEDIR
	stRdonly           = 0x1                      // ST_RDONLY, in Statfs_t.Flags
)

// isolatedDirs are emptied after each request with FAAS_ISOLATION=request.
var isolatedDirs = []string{"/tmp", "/dev/shm"}

// say writes one line on stderr, prefixed, like every other error exit of this program.
func say(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "faas-init: "+format+"\n", args...)
}

// errnoOf returns the errno inside err (every error here comes from a system call).
func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EINVAL
}

// strerror is C's text for e: Go's are the same, in lower case.
func strerror(e syscall.Errno) string {
	s := e.Error()
	return strings.ToUpper(s[:1]) + s[1:]
}

// sendLine writes one protocol line, at most 128 bytes with its newline.
func sendLine(ctl int, format string, args ...any) error {
	line := fmt.Sprintf(format, args...)
	if len(line) > maxLine-2 {
		line = line[:maxLine-2]
	}
	b := []byte(line + "\n")
	for len(b) > 0 {
		n, err := syscall.SendmsgN(ctl, b, nil, nil, syscall.MSG_NOSIGNAL)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// fail reports a failure to the pool (best effort; ctl -1: not at all) and to stderr, then exits.
func fail(ctl, code int, stage string, e syscall.Errno, what string) {
	reason := what
	if e != 0 {
		reason = strerror(e)
	}
	if ctl >= 0 {
		sendLine(ctl, "FAIL %s %d %s", stage, int(e), reason)
	}
	if e != 0 {
		say("%s: %s", what, reason)
	} else {
		say("%s", what)
	}
	os.Exit(code)
}

func execExitCode(e syscall.Errno) int {
	if e == syscall.ENOENT || e == syscall.ENOTDIR {
		return exitNotFound
	}
	return exitNoExec
}

func fcntl(fd, cmd, arg int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(arg))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func connectControl(path string) int {
	if len(path) >= len(syscall.RawSockaddrUnix{}.Path) {
		say("control socket path too long: %s", path)
		os.Exit(exitControl)
	}
	s, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		say("socket: %s", strerror(errnoOf(err)))
		os.Exit(exitControl)
	}
	if err := syscall.Connect(s, &syscall.SockaddrUnix{Name: path}); err != nil {
		say("connect to %s: %s", path, strerror(errnoOf(err)))
		os.Exit(exitControl)
	}
	ctl, err := fcntl(s, syscall.F_DUPFD_CLOEXEC, controlFDMin)
	if err != nil {
		say("fcntl on the control socket: %s", strerror(errnoOf(err)))
		os.Exit(exitControl)
	}
	syscall.Close(s)
	return ctl
}

// validTraceparent tells whether t is a traceparent the pool may send (PROTOCOL.md, Trace context):
// version 00, lower-case hex, neither the trace id nor the parent id all zeros.
func validTraceparent(t []byte) bool {
	const shape = "00-################################-################-##"
	if len(t) != len(shape) {
		return false
	}
	traceID, parentID := false, false
	for i, c := range t {
		if shape[i] != '#' {
			if c != shape[i] {
				return false
			}
			continue
		}
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
		if c != '0' {
			traceID = traceID || i < 35
			parentID = parentID || i > 35 && i < 52
		}
	}
	return traceID && parentID
}

// receiveClient blocks until the pool sends 'F' with exactly one descriptor, or 'T', 55 bytes of trace
// context and exactly one descriptor, and returns the descriptor, blocking, and the traceparent ("" after
// an 'F'). The 56 bytes of a 'T' come in one sendmsg but a stream may split them: it reads on until it
// has them all (and never past them: the pool sends nothing else before this hand-off's RUN). Any
// other descriptors that arrive are closed: the handler must inherit only its own. Returns -1 when the
// pool closed the control connection.
func receiveClient(ctl int) (int, string) {
	buf := make([]byte, 1+traceparentLen)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	got, need, fd, extra := 0, 1, -1, false
	for got < need {
		n, oobn, flags, _, err := syscall.Recvmsg(ctl, buf[got:], oob, syscall.MSG_CMSG_CLOEXEC)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			fail(ctl, exitControl, "recv", errnoOf(err), "recvmsg")
		}
		extra = extra || flags&syscall.MSG_CTRUNC != 0
		msgs, _ := syscall.ParseSocketControlMessage(oob[:oobn])
		for i := range msgs {
			if msgs[i].Header.Level != syscall.SOL_SOCKET || msgs[i].Header.Type != syscall.SCM_RIGHTS {
				continue
			}
			in, _ := syscall.ParseUnixRights(&msgs[i])
			for _, f := range in {
				if fd < 0 {
					fd = f
				} else {
					syscall.Close(f)
					extra = true
				}
			}
		}
		if n == 0 && got == 0 {
			return -1, ""
		}
		if n == 0 { // EOF inside a 'T': what came is no traceparent
			if fd >= 0 {
				syscall.Close(fd)
			}
			fail(ctl, exitControl, "proto", 0, "bad trace context")
		}
		if got == 0 && buf[0] == 'T' {
			need = len(buf)
		}
		got += n
	}
	refuse := func(stage, what string) {
		if fd >= 0 {
			syscall.Close(fd)
		}
		fail(ctl, exitControl, stage, 0, what)
	}
	trace := ""
	switch {
	case buf[0] == 'T':
		if !validTraceparent(buf[1:]) {
			refuse("proto", "bad trace context")
		}
		trace = string(buf[1:])
	case buf[0] != 'F' || got != 1: // another byte, or 'F' and more
		refuse("proto", "unexpected message from the pool")
	}
	if fd < 0 || extra {
		refuse("nofd", "message did not carry exactly one descriptor")
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		fail(ctl, exitControl, "recv", errnoOf(err), "fcntl on the client descriptor")
	}
	return fd, trace
}

// handToHandler, in the process about to exec the handler, puts the connection at descriptor 3 (and
// 0 and 1 with stdio), inheritable, and sets the handler's environment: TRACEPARENT is trace, or unset
// for "".
func handToHandler(fd int, stdio bool, trace string) error {
	if fd != clientFD {
		if err := syscall.Dup3(fd, clientFD, 0); err != nil {
			return err
		}
		syscall.Close(fd)
	} else if _, err := fcntl(fd, syscall.F_SETFD, 0); err != nil {
		return err
	}
	if stdio {
		if err := syscall.Dup3(clientFD, 0, 0); err != nil {
			return err
		}
		if err := syscall.Dup3(clientFD, 1, 0); err != nil {
			return err
		}
	}
	for _, kv := range [][2]string{
		{"FAAS_CLIENT_FD", strconv.Itoa(clientFD)},
		{"LISTEN_FDS", "1"},
		{"LISTEN_PID", strconv.Itoa(os.Getpid())},
		{"LISTEN_FDNAMES", "connection"},
	} {
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			return err
		}
	}
	if trace == "" {
		return os.Unsetenv("TRACEPARENT")
	}
	return os.Setenv("TRACEPARENT", trace)
}

// helperEnv is the fork-mode helper's environment for one request: the init's own, with TRACEPARENT
// that request's or none. The init's own environment is left alone, so nothing of one request's trace
// context reaches the next.
func helperEnv(trace string) []string {
	env := make([]string, 0, len(os.Environ())+1)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TRACEPARENT=") {
			env = append(env, kv)
		}
	}
	if trace != "" {
		env = append(env, "TRACEPARENT="+trace)
	}
	return env
}

// execvp execs the handler as execvp(3) does (musl's, which the C init is built with): a name with a
// slash as it is, else in each $PATH entry in turn, going on past ENOENT, ENOTDIR and EACCES. It
// returns only on failure, with execvp's errno. (exec.LookPath would lose that errno: EACCES becomes
// "not found", and it refuses a handler found through "." in $PATH.)
func execvp(argv []string) syscall.Errno {
	name, env := argv[0], os.Environ()
	if name == "" {
		return syscall.ENOENT
	}
	if strings.Contains(name, "/") {
		return errnoOf(syscall.Exec(name, argv, env))
	}
	path, ok := syscall.Getenv("PATH")
	if !ok {
		path = "/usr/local/bin:/bin:/usr/bin"
	}
	denied := false
	for _, dir := range strings.Split(path, ":") {
		file := name
		if dir != "" {
			file = dir + "/" + name
		}
		switch e := errnoOf(syscall.Exec(file, argv, env)); e {
		case syscall.EACCES:
			denied = true
		case syscall.ENOENT, syscall.ENOTDIR:
		default:
			return e
		}
	}
	if denied {
		return syscall.EACCES
	}
	return syscall.ENOENT
}

// waitHandler waits for the handler, reaping any orphan that ends meanwhile; returns its status as a
// shell would.
func waitHandler(child int) int {
	for {
		var ws syscall.WaitStatus
		p, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return exitControl
		}
		if p == child {
			if ws.Exited() {
				return ws.ExitStatus()
			}
			return 128 + int(ws.Signal())
		}
	}
}

// serveForked, in fork mode, runs the handler on connection req (the req-th descriptor on this
// control connection, from 1), reporting RUN or FAIL, then DONE <status> <req>. The child is this
// program again as execHelper (see runHelper): the connection at 3, the report pipe at 4. With request
// isolation, isolate runs between the handler's end and its DONE.
func serveForked(ctl, fd int, trace string, argv []string, isolation bool, req uint64) {
	var report [2]int
	if err := syscall.Pipe2(report[:], syscall.O_CLOEXEC); err != nil {
		fail(ctl, exitControl, "fork", errnoOf(err), "pipe")
	}
	child, err := syscall.ForkExec("/proc/self/exe", append([]string{execHelper}, argv...), &syscall.ProcAttr{
		Env:   helperEnv(trace),
		Files: []uintptr{0, 1, 2, uintptr(fd), uintptr(report[1])},
	})
	syscall.Close(report[1])
	syscall.Close(fd)
	if err != nil {
		e := errnoOf(err)
		sendLine(ctl, "FAIL fork %d %s", int(e), strerror(e))
		sendLine(ctl, "DONE %d %d", exitControl, req)
		syscall.Close(report[0])
		return
	}
	buf := make([]byte, 16)
	var n int
	for {
		n, err = syscall.Read(report[0], buf)
		if err != syscall.EINTR {
			break
		}
	}
	syscall.Close(report[0])
	if err == nil && n > 0 { // the helper could not exec the handler; EOF: it did
		e, _ := strconv.Atoi(string(buf[:n]))
		sendLine(ctl, "FAIL exec %d %s", e, strerror(syscall.Errno(e)))
	} else {
		sendLine(ctl, "RUN %d", child)
	}
	status := waitHandler(child)
	if isolation {
		isolate(req)
	}
	sendLine(ctl, "DONE %d %d", status, req)
}

// wipe is the emptying of one top directory (/tmp, /dev/shm): one pass over it, and what it could not
// remove.
type wipe struct {
	root     int    // the top directory's descriptor, where deep directories are moved to
	dev      uint64 // its device: a directory on another one is a mount, never entered
	checked  bool   // dev is known and the file system is writable
	readonly bool   // a read-only file system: no request can have left anything there
	hoisted  int    // directories moved up to the top this pass
	left     int    // entries this pass could not remove
	first    string // the first of them
	err      syscall.Errno
}

var hoistSeq uint64

func (w *wipe) failed(depth int, name string, err error) {
	if w.left == 0 {
		w.first, w.err = name, errnoOf(err)
		if depth > 0 {
			w.first = ".../" + name
		}
	}
	w.left++
}

func unlinkat(dirfd int, name string, flags int) error {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	if _, _, e := syscall.Syscall(syscall.SYS_UNLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)), uintptr(flags)); e != 0 {
		return e
	}
	return nil
}

// wipeDir removes every entry of the directory fd, at depth below the top, as the C init's wipe_dir
// does: unlinkat, never following a symlink and never entering another mount; a directory wipeDepth
// levels down is moved up into the top directory for a later pass, so that at most wipeDepth
// directories are open at once however deep a chain a handler made; a directory whose owner took away
// its own write or search permission is given it back (chmod u+rwx) first.
func wipeDir(w *wipe, fd, depth int) {
	buf := make([]byte, 8192)
	for {
		n, err := syscall.Getdents(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			w.failed(depth, ".", err)
			return
		}
		if n <= 0 {
			return
		}
		for off := 0; off+19 <= n; {
			// struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name
			reclen := int(buf[off+16]) | int(buf[off+17])<<8
			if reclen == 0 || off+reclen > n {
				break
			}
			typ := buf[off+18]
			name := buf[off+19 : off+reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			off += reclen
			if string(name) == "." || string(name) == ".." {
				continue
			}
			if !w.checked { // the first entry of the first pass: is there anything to do at all?
				var st syscall.Stat_t
				if err := syscall.Fstat(w.root, &st); err != nil {
					w.failed(depth, ".", err)
					return
				}
				w.dev, w.checked = st.Dev, true
				var fs syscall.Statfs_t
				if syscall.Fstatfs(w.root, &fs) == nil && fs.Flags&stRdonly != 0 {
					w.readonly = true
					return
				}
			}
			wipeEntry(w, fd, depth, string(name), typ)
		}
	}
}

// wipeEntry removes one entry of the directory fd (typ: its d_type).
func wipeEntry(w *wipe, fd, depth int, name string, typ byte) {
	if typ != syscall.DT_DIR {
		err := unlinkat(fd, name, 0)
		if err == nil {
			return
		}
		if err != syscall.EISDIR && !(err == syscall.EPERM && typ == syscall.DT_UNKNOWN) {
			w.failed(depth, name, err)
			return
		}
	}
	err := unlinkat(fd, name, atRemoveDir) // an empty directory: one call
	if err == nil {
		return
	}
	if err != syscall.ENOTEMPTY && err != syscall.EEXIST { // EBUSY: a mount point
		w.failed(depth, name, err)
		return
	}
	// A directory now (rmdir said ENOTEMPTY), so chmod, which follows symlinks, is safe on it.
	if depth+1 >= wipeDepth {
		hoistSeq++
		to := fmt.Sprintf(".faas-init-%d", hoistSeq)
		err := syscall.Renameat(fd, name, w.root, to)
		if err == syscall.EACCES && syscall.Fchmodat(fd, name, 0700, 0) == nil { // its .. changes
			err = syscall.Renameat(fd, name, w.root, to)
		}
		if err != nil {
			w.failed(depth, name, err)
		} else {
			w.hoisted++
		}
		return
	}
	const flags = syscall.O_RDONLY | syscall.O_DIRECTORY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC
	sub, err := syscall.Openat(fd, name, flags, 0)
	if err == syscall.EACCES && syscall.Fchmodat(fd, name, 0700, 0) == nil { // no r or x for its owner
		sub, err = syscall.Openat(fd, name, flags, 0)
	}
	if err != nil {
		w.failed(depth, name, err)
		return
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(sub, &st); err != nil {
		w.failed(depth, name, err)
	} else if st.Dev != w.dev {
		w.failed(depth, name, syscall.EXDEV)
	} else {
		if st.Mode&0700 != 0700 { // chmod 0500 does not keep its entries: same uid
			syscall.Fchmod(sub, st.Mode&07777|0700)
		}
		wipeDir(w, sub, depth+1)
		syscall.Close(sub)
		if err := unlinkat(fd, name, atRemoveDir); err != nil {
			w.failed(depth, name, err)
		}
		return
	}
	syscall.Close(sub)
}

// wipeTop empties the directory top (not top itself). It returns how many entries could not be
// removed and the first of them ("" for none). A top that does not exist is fine.
func wipeTop(top string) (int, string) {
	root, err := syscall.Open(top, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err == syscall.ENOENT {
		return 0, ""
	}
	if err != nil {
		return 1, top + ": " + strerror(errnoOf(err))
	}
	defer syscall.Close(root)
	w := &wipe{root: root}
	for pass := 0; pass < wipePasses; pass++ {
		w.left, w.hoisted = 0, 0
		if pass > 0 {
			if _, err := syscall.Seek(root, 0, 0); err != nil {
				return 1, top + ": " + strerror(errnoOf(err))
			}
		}
		wipeDir(w, root, 0)
		if w.hoisted == 0 || w.readonly {
			break
		}
	}
	if w.left > 0 {
		return w.left, top + "/" + w.first + ": " + strerror(w.err)
	}
	return 0, ""
}

// isolate, after request req's handler was reaped, kills every other process of the container and
// reaps them all, then empties /tmp and /dev/shm, as the C init's isolate does. As PID 1 of the
// container's PID namespace, kill(-1) reaches every process in it but this one (and its threads), and
// every process in it descends from this one, so with no child left there is nothing to kill. What
// could not be removed is said in one line on stderr.
func isolate(req uint64) {
	if os.Getpid() != 1 { // main refuses to start so; checked again because of what kill(-1) would do
		return
	}
	if _, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil); err != syscall.ECHILD {
		syscall.Kill(-1, syscall.SIGKILL)
		for {
			_, err := syscall.Wait4(-1, nil, 0, nil)
			if err != nil && err != syscall.EINTR {
				break
			}
		}
	}
	left, what := 0, ""
	for _, top := range isolatedDirs {
		n, first := wipeTop(top)
		if n > 0 && left == 0 {
			what = first
		}
		left += n
	}
	if left > 0 {
		say("isolation: after request %d, %d entries of /tmp and /dev/shm could not be removed (first: %s)", req, left, what)
	}
}

// runHelper is the fork-mode child: the connection is at 3 and the report pipe at 4 (ForkExec put
// them there), and its TRACEPARENT is the request's (helperEnv). It becomes the handler, or reports why
// it could not.
func runHelper(argv []string, stdio bool) {
	var e syscall.Errno
	if _, err := fcntl(reportFD, syscall.F_SETFD, syscall.FD_CLOEXEC); err != nil {
		e = errnoOf(err)
	} else if err := handToHandler(clientFD, stdio, os.Getenv("TRACEPARENT")); err != nil {
		e = errnoOf(err)
	} else {
		e = execvp(argv)
	}
	syscall.Write(reportFD, []byte(strconv.Itoa(int(e)))) // losing the reason still leaves the exit code
	os.Exit(execExitCode(e))
}

func main() {
	// No ptrace or /proc/<pid>/mem for the handlers; exec undoes it. Per process, whichever thread runs it.
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 0, 0)
	nofile.Restore() // best effort: the limit is the handler's business, not the protocol's
	stdio := os.Getenv("FAAS_STDIO") == "1"
	if len(os.Args) > 1 && os.Args[0] == execHelper {
		runHelper(os.Args[1:], stdio)
	}
	if len(os.Args) < 2 {
		say("usage: faas-init <command> [args...]")
		os.Exit(exitUsage)
	}
	argv := os.Args[1:]
	mode := os.Getenv("FAAS_MODE")
	switch mode {
	case "", "oneshot", "fork", "persistent":
	default:
		say("unknown FAAS_MODE '%s' (oneshot, fork or persistent)", mode)
		os.Exit(exitUsage)
	}
	isolation := false // request isolation: only fork mode has requests after the first to isolate
	switch i := os.Getenv("FAAS_ISOLATION"); i {
	case "", "container":
	case "request":
		isolation = mode == "fork"
	default:
		say("unknown FAAS_ISOLATION '%s' (container or request)", i)
		os.Exit(exitUsage)
	}
	if isolation && os.Getpid() != 1 {
		say("isolation: request needs faas-init to be PID 1 of its container")
		os.Exit(exitUsage)
	}

	if mode == "persistent" {
		e := execvp(argv)
		say("exec %s: %s", argv[0], strerror(e))
		os.Exit(execExitCode(e))
	}

	path := os.Getenv("FAAS_CONTROL_SOCK")
	if path == "" {
		path = defaultControlSock
	}
	ctl := connectControl(path)
	if err := sendLine(ctl, "HELLO %d %d %d trace", protocolVersion, os.Getpid(), concurrency); err != nil {
		fail(-1, exitControl, "hello", errnoOf(err), "send HELLO")
	}

	if mode == "fork" {
		for req := uint64(1); ; req++ {
			fd, trace := receiveClient(ctl)
			if fd < 0 {
				os.Exit(0) // the pool is done with this container
			}
			if err := sendLine(ctl, "ACK"); err != nil {
				fail(-1, exitControl, "ack", errnoOf(err), "send ACK")
			}
			serveForked(ctl, fd, trace, argv, isolation, req)
		}
	}

	fd, trace := receiveClient(ctl)
	if fd < 0 {
		fail(-1, exitControl, "recv", 0, "control socket closed before a descriptor arrived")
	}
	if err := sendLine(ctl, "ACK"); err != nil {
		fail(-1, exitControl, "ack", errnoOf(err), "send ACK")
	}
	if err := handToHandler(fd, stdio, trace); err != nil {
		fail(ctl, exitControl, "recv", errnoOf(err), "moving the client descriptor to 3")
	}
	e := execvp(argv)
	sendLine(ctl, "FAIL exec %d %s", int(e), strerror(e))
	say("exec %s: %s", argv[0], strerror(e))
	os.Exit(execExitCode(e))
}
