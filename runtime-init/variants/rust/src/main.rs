//! faas-init, Rust variant: takes client connections from the faas-pool control socket and runs the
//! handler on them.
//!
//!     faas-init-rust <command> [args...]
//!
//! Speaks control protocol version 2 (runtime-init/PROTOCOL.md) exactly as the C init
//! (runtime-init/faas-init.c) does, and is a line-by-line port of it. FAAS_MODE picks the mode:
//!
//!     oneshot (default)  connect -> HELLO 2 <pid> 1 trace -> recvmsg -> ACK -> exec the handler on the
//!                        connection.
//!     fork               connect -> HELLO 2 <pid> 1 trace, then per connection n = 1, 2, ...: recvmsg ->
//!                        spawn the handler (clone with CLONE_VM|CLONE_VFORK, then exec) -> ACK and
//!                        RUN <pid> in one write -> waitpid -> DONE <status> <n>; EOF from the pool ends it.
//!     persistent         exec the handler at once; it speaks the protocol itself through an SDK.
//!
//! Oneshot and fork mode take trace context ("trace" in HELLO): the pool sends each descriptor with 'F',
//! or with 'T' and a 55-byte W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>, lower case, neither id all
//! zeros), and the handler runs with TRACEPARENT set to it after a 'T' and with no TRACEPARENT at all
//! after an 'F', whatever this process's own environment holds. A 'T' whose 55 bytes are anything else
//! is FAIL proto 0 bad trace context, exit 1.
//!
//! The handler finds the connection at descriptor 3: FAAS_CLIENT_FD=3, and LISTEN_FDS=1, LISTEN_PID,
//! LISTEN_FDNAMES=connection for sd_listen_fds(); with FAAS_STDIO=1 also as stdin and stdout. The
//! control connection is close-on-exec: in oneshot mode a successful exec shows up as EOF.
//! FAAS_ISOLATION=request (fork mode, PID 1 only) kills every other process and empties /tmp and
//! /dev/shm between a handler's end and its DONE (wipe.rs). The init is not dumpable.
//!
//! Exit codes: 0 fork mode ended by the pool, 1 control-socket failure, 2 usage,
//! 126 handler not executable, 127 handler not found.
//!
//! Grown from "Approach 3: Rust Implementation" of the design document (faas-runtime-design.md), with
//! std only: no `nix`, no `libc` crate; sys.rs declares the libc functions. Where Rust shows through:
//!   - Rust's runtime start (`lang_start`) sets SIGPIPE to ignored, and ignored signals survive exec:
//!     the handler would get SIGPIPE ignored. So there is no Rust `main`: `#![no_main]` and a C `main`
//!     that glibc calls, before which no Rust code runs. The handler starts with the signal state the
//!     init was started with, as under the C init. (The runtime start would also open /dev/null on a
//!     closed 0, 1 or 2, which the C init does not do either.)
//!   - The handler is spawned as the C init spawns it, clone(CLONE_VM | CLONE_VFORK) on a stack of its
//!     own, not with std::process::Command, because LISTEN_PID must be the handler's own pid, which
//!     only the child knows: it writes it into an environment built beforehand, without allocating.
//!   - The `<text>` of FAIL and of stderr lines is glibc's strerror (the C init's is musl's); the texts
//!     the conformance suite checks are the same in both.

#![no_main]

mod sys;
mod wipe;

use std::ffi::{CStr, OsStr};
use std::io::Write;
use std::os::raw::{c_char, c_int, c_ulong, c_void};
use std::os::unix::ffi::OsStrExt;
use std::ptr;

const PROTOCOL_VERSION: u32 = 2;
/// Connections served at once: one, in oneshot and fork mode.
const CONCURRENCY: u32 = 1;
const DEFAULT_CONTROL_SOCK: &str = "/control.sock";
const CLIENT_FD: c_int = 3;
/// "00-" 32 hex "-" 16 hex "-" 2 hex: the bytes after a 'T'.
const TRACEPARENT_LEN: usize = 55;
/// Keeps the control connection clear of 0-3, which the handler gets.
const CONTROL_FD_MIN: c_int = 10;
/// Protocol lines are at most this long, with their "\n".
const MAX_LINE: usize = 128;
const EXIT_CONTROL: c_int = 1;
const EXIT_USAGE: c_int = 2;
const EXIT_NOEXEC: c_int = 126;
const EXIT_NOTFOUND: c_int = 127;

#[derive(PartialEq)]
enum Mode {
    Oneshot,
    Fork,
    Persistent,
}

/// One line on stderr, prefixed, like every other error exit of this program; one write.
fn say(what: &str) {
    let _ = std::io::stderr().write_all(format!("faas-init: {}\n", what).as_bytes());
}

/// Writes one protocol line (several, joined by "\n"); returns the errno when it cannot.
fn send_line(ctl: c_int, line: &str) -> Result<(), c_int> {
    let mut bytes = line.as_bytes().to_vec();
    bytes.truncate(MAX_LINE - 2);
    bytes.push(b'\n');
    let mut off = 0;
    while off < bytes.len() {
        let rest = &bytes[off..];
        // SAFETY: rest is a valid buffer of rest.len() bytes.
        let w = unsafe { sys::send(ctl, rest.as_ptr().cast(), rest.len(), sys::MSG_NOSIGNAL) };
        if w < 0 {
            let err = sys::errno();
            if err == sys::EINTR {
                continue;
            }
            return Err(err);
        }
        off += w as usize;
    }
    Ok(())
}

/// Reports a failure to the pool (best effort) and to stderr, then exits.
fn fail(ctl: Option<c_int>, code: c_int, stage: &str, err: c_int, what: &str) -> ! {
    let reason = if err != 0 { sys::strerror_text(err) } else { what.to_string() };
    if let Some(ctl) = ctl {
        let _ = send_line(ctl, &format!("FAIL {} {} {}", stage, err, reason));
    }
    if err != 0 {
        say(&format!("{}: {}", what, reason));
    } else {
        say(what);
    }
    std::process::exit(code)
}

fn exec_exit_code(err: c_int) -> c_int {
    if err == sys::ENOENT || err == sys::ENOTDIR {
        EXIT_NOTFOUND
    } else {
        EXIT_NOEXEC
    }
}

fn connect_control(path: &[u8]) -> c_int {
    let shown = String::from_utf8_lossy(path);
    let mut addr = sys::SockaddrUn { sun_family: sys::AF_UNIX as u16, sun_path: [0; 108] };
    if path.len() >= addr.sun_path.len() {
        say(&format!("control socket path too long: {}", shown));
        std::process::exit(EXIT_CONTROL);
    }
    addr.sun_path[..path.len()].copy_from_slice(path);
    // SAFETY: plain system call.
    let s = unsafe { sys::socket(sys::AF_UNIX, sys::SOCK_STREAM | sys::SOCK_CLOEXEC, 0) };
    if s < 0 {
        say(&format!("socket: {}", sys::strerror_text(sys::errno())));
        std::process::exit(EXIT_CONTROL);
    }
    let len = std::mem::size_of::<sys::SockaddrUn>() as u32;
    // SAFETY: addr is a valid sockaddr_un of len bytes.
    if unsafe { sys::connect(s, &addr, len) } < 0 {
        say(&format!("connect to {}: {}", shown, sys::strerror_text(sys::errno())));
        std::process::exit(EXIT_CONTROL);
    }
    // SAFETY: s is open.
    let ctl = unsafe { sys::fcntl(s, sys::F_DUPFD_CLOEXEC, CONTROL_FD_MIN) };
    if ctl < 0 {
        say(&format!("fcntl on the control socket: {}", sys::strerror_text(sys::errno())));
        std::process::exit(EXIT_CONTROL);
    }
    // SAFETY: s is open and no longer used (ctl is its copy).
    unsafe { sys::close(s) };
    ctl
}

/// Room for the control data of up to 4 descriptors, aligned as a cmsghdr must be.
#[repr(C, align(8))]
struct ControlBuf([u8; sys::cmsg_space(4 * std::mem::size_of::<c_int>())]);

/// Whether `t` is a traceparent the pool may send (PROTOCOL.md, Trace context): version 00, lower-case
/// hex, neither the trace id nor the parent id all zeros.
fn valid_traceparent(t: &[u8]) -> bool {
    const SHAPE: &[u8; TRACEPARENT_LEN] = b"00-################################-################-##";
    let (mut trace_id, mut parent_id) = (false, false);
    for (i, (&c, &s)) in t.iter().zip(SHAPE.iter()).enumerate() {
        if s != b'#' {
            if c != s {
                return false;
            }
            continue;
        }
        if !matches!(c, b'0'..=b'9' | b'a'..=b'f') {
            return false;
        }
        if c != b'0' {
            trace_id |= i < 35;
            parent_id |= i > 35 && i < 52;
        }
    }
    t.len() == TRACEPARENT_LEN && trace_id && parent_id
}

/// A request's trace context: the traceparent after a 'T'; None after an 'F'.
type Trace = Option<[u8; TRACEPARENT_LEN]>;

/// Blocks until the pool sends 'F' with exactly one descriptor, or 'T', 55 bytes of trace context and
/// exactly one descriptor, and returns the descriptor, blocking, with the trace context. The 56 bytes of
/// a 'T' come in one sendmsg but a stream may split them: it reads on until it has them all (and never
/// past them: the pool sends nothing else before this hand-off's RUN). Any other descriptors that
/// arrive are closed: the handler must inherit only its own. Returns None when the pool closed the
/// control connection.
fn receive_client(ctl: c_int) -> Option<(c_int, Trace)> {
    let mut buf = [0u8; 1 + TRACEPARENT_LEN];
    let (mut got, mut need) = (0, 1);
    let (mut fd, mut extra) = (-1, false);
    let mut cbuf = ControlBuf([0; sys::cmsg_space(4 * std::mem::size_of::<c_int>())]);
    while got < need {
        let rest = &mut buf[got..];
        let mut iov = sys::Iovec { iov_base: rest.as_mut_ptr().cast(), iov_len: rest.len() };
        let mut msg = sys::MsgHdr {
            msg_name: ptr::null_mut(),
            msg_namelen: 0,
            msg_iov: &mut iov,
            msg_iovlen: 1,
            msg_control: cbuf.0.as_mut_ptr().cast(),
            msg_controllen: cbuf.0.len(),
            msg_flags: 0,
        };
        // SAFETY: msg points to live buffers (the rest of buf, cbuf) of the sizes it states.
        let n = unsafe { sys::recvmsg(ctl, &mut msg, sys::MSG_CMSG_CLOEXEC) };
        if n < 0 && sys::errno() == sys::EINTR {
            continue;
        }
        if n < 0 {
            fail(Some(ctl), EXIT_CONTROL, "recv", sys::errno(), "recvmsg");
        }
        // CMSG_FIRSTHDR / CMSG_NXTHDR over the msg_controllen bytes the kernel filled in.
        let control = &cbuf.0[..msg.msg_controllen.min(cbuf.0.len())];
        let mut at = 0;
        while at + sys::CMSG_HDR <= control.len() {
            // SAFETY: a whole header lies at `at` (checked above), at an 8-aligned offset of an 8-aligned buffer.
            let hdr = unsafe { ptr::read(control.as_ptr().add(at).cast::<sys::CmsgHdr>()) };
            if hdr.cmsg_len < sys::cmsg_len(0) || at + hdr.cmsg_len > control.len() {
                break;
            }
            if hdr.cmsg_level == sys::SOL_SOCKET && hdr.cmsg_type == sys::SCM_RIGHTS {
                let data = &control[at + sys::cmsg_len(0)..at + hdr.cmsg_len];
                for chunk in data.chunks_exact(std::mem::size_of::<c_int>()) {
                    let fd_in = c_int::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                    if fd < 0 {
                        fd = fd_in;
                    } else {
                        // SAFETY: fd_in is a descriptor the kernel just installed for us.
                        unsafe { sys::close(fd_in) };
                        extra = true;
                    }
                }
            }
            at += sys::cmsg_align(hdr.cmsg_len);
        }
        if msg.msg_flags & sys::MSG_CTRUNC != 0 {
            extra = true;
        }
        if n == 0 && got == 0 {
            return None;
        }
        if n == 0 {
            // EOF inside a 'T': what came is no traceparent.
            close_if_open(fd);
            fail(Some(ctl), EXIT_CONTROL, "proto", 0, "bad trace context");
        }
        if got == 0 && buf[0] == b'T' {
            need = buf.len();
        }
        got += n as usize;
    }
    let mut trace: Trace = None;
    if buf[0] == b'T' {
        if !valid_traceparent(&buf[1..]) {
            close_if_open(fd);
            fail(Some(ctl), EXIT_CONTROL, "proto", 0, "bad trace context");
        }
        let mut t = [0u8; TRACEPARENT_LEN];
        t.copy_from_slice(&buf[1..]);
        trace = Some(t);
    } else if buf[0] != b'F' || got != 1 {
        // Another byte, or 'F' and more.
        close_if_open(fd);
        fail(Some(ctl), EXIT_CONTROL, "proto", 0, "unexpected message from the pool");
    }
    if fd < 0 || extra {
        close_if_open(fd);
        fail(Some(ctl), EXIT_CONTROL, "nofd", 0, "message did not carry exactly one descriptor");
    }
    // SAFETY: fd is open (received above).
    let flags = unsafe { sys::fcntl(fd, sys::F_GETFL) };
    // SAFETY: as above.
    if flags < 0 || unsafe { sys::fcntl(fd, sys::F_SETFL, flags & !sys::O_NONBLOCK) } < 0 {
        fail(Some(ctl), EXIT_CONTROL, "recv", sys::errno(), "fcntl on the client descriptor");
    }
    Some((fd, trace))
}

fn close_if_open(fd: c_int) {
    if fd >= 0 {
        // SAFETY: fd is a descriptor this process owns and uses no more.
        unsafe { sys::close(fd) };
    }
}

/// In the process about to exec the handler: puts the connection at descriptor 3 (and 0 and 1 with
/// stdio), inheritable. Returns false with errno set. Async-signal-safe: it runs in the spawned child.
fn move_client(fd: c_int, stdio: bool) -> bool {
    // SAFETY (the whole function): system calls on descriptors only; a failure is returned in errno.
    unsafe {
        if fd != CLIENT_FD {
            if sys::dup2(fd, CLIENT_FD) < 0 {
                return false;
            }
            sys::close(fd);
        } else if sys::fcntl(fd, sys::F_SETFD, 0) < 0 {
            return false;
        }
        !(stdio && (sys::dup2(CLIENT_FD, 0) < 0 || sys::dup2(CLIENT_FD, 1) < 0))
    }
}

/// The handler's environment: the init's own, without the variables it sets, then those. LISTEN_PID's
/// value is written by whoever knows the handler's pid (`set_listen_pid`), so this is built once, in the
/// init, and the spawned child only fills in digits: it allocates nothing. TRACEPARENT is per request
/// (`set_trace`): its slot, last, points at the request's traceparent or is the terminating NULL.
struct HandlerEnv {
    /// NUL-terminated pointers: the inherited variables, our fixed ones, LISTEN_PID, the TRACEPARENT slot.
    envp: Vec<*const c_char>,
    /// "LISTEN_PID=" and room for a pid and its NUL.
    listen_pid: Box<[u8; 32]>,
    /// "TRACEPARENT=", the 55 bytes and a NUL.
    traceparent: Box<[u8; TRACEPARENT.len() + TRACEPARENT_LEN + 1]>,
}

const LISTEN_PID: &[u8] = b"LISTEN_PID=";
const TRACEPARENT: &[u8] = b"TRACEPARENT=";
const OURS: [&[u8]; 5] = [b"FAAS_CLIENT_FD=", b"LISTEN_FDS=", b"LISTEN_PID=", b"LISTEN_FDNAMES=", TRACEPARENT];
const FIXED: [&[u8]; 3] = [b"FAAS_CLIENT_FD=3\0", b"LISTEN_FDS=1\0", b"LISTEN_FDNAMES=connection\0"];

impl HandlerEnv {
    fn new() -> HandlerEnv {
        let mut envp = Vec::new();
        // SAFETY: environ is glibc's NULL-terminated array of NUL-terminated strings; nothing in this
        // single-threaded process changes it while it is read, and the strings outlive the exec.
        unsafe {
            let mut e = sys::environ;
            while !e.is_null() && !(*e).is_null() {
                let var = CStr::from_ptr(*e).to_bytes();
                if !OURS.iter().any(|ours| var.starts_with(ours)) {
                    envp.push(*e);
                }
                e = e.add(1);
            }
        }
        envp.extend(FIXED.iter().map(|v| v.as_ptr().cast::<c_char>()));
        let mut listen_pid = Box::new([0u8; 32]);
        listen_pid[..LISTEN_PID.len()].copy_from_slice(LISTEN_PID);
        envp.push(listen_pid.as_ptr().cast());
        envp.push(ptr::null()); // the TRACEPARENT slot
        envp.push(ptr::null());
        let mut traceparent = Box::new([0u8; TRACEPARENT.len() + TRACEPARENT_LEN + 1]);
        traceparent[..TRACEPARENT.len()].copy_from_slice(TRACEPARENT);
        HandlerEnv { envp, listen_pid, traceparent }
    }

    /// Gives the next handler this request's trace context, or none: the slot before the final NULL
    /// points at the traceparent, or ends the list. Allocates nothing; nothing of one request's stays
    /// for the next.
    fn set_trace(&mut self, trace: &Trace) {
        let slot = self.envp.len() - 2;
        self.envp[slot] = match trace {
            Some(t) => {
                self.traceparent[TRACEPARENT.len()..TRACEPARENT.len() + TRACEPARENT_LEN].copy_from_slice(t);
                self.traceparent.as_ptr().cast()
            }
            None => ptr::null(),
        };
    }
}

/// Writes "<pid>\0" after "LISTEN_PID=" in `buf`. Allocates nothing: the spawned child calls it.
fn set_listen_pid(buf: &mut [u8; 32], pid: c_int) {
    let mut digits = [0u8; 12];
    let (mut n, mut v) = (0, pid.max(0) as u32);
    loop {
        digits[n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // "LISTEN_PID=" (11 bytes), at most 10 digits and the NUL fit in 32.
    for i in 0..n {
        buf[LISTEN_PID.len() + i] = digits[n - 1 - i];
    }
    buf[LISTEN_PID.len() + n] = 0;
}

/// Waits for the handler, reaping any orphan that ends meanwhile; returns its status as a shell would.
fn wait_handler(child: c_int) -> c_int {
    loop {
        let mut st: c_int = 0;
        // SAFETY: st is a valid out-parameter.
        let p = unsafe { sys::waitpid(-1, &mut st, 0) };
        if p < 0 && sys::errno() == sys::EINTR {
            continue;
        }
        if p < 0 {
            return EXIT_CONTROL;
        }
        if p == child {
            // WIFEXITED: no signal in the low 7 bits; WEXITSTATUS: the next 8; WTERMSIG: the low 7.
            return if st & 0x7f == 0 { (st >> 8) & 0xff } else { 128 + (st & 0x7f) };
        }
    }
}

/// After request `req`'s handler was reaped: kills every other process of the container and reaps
/// them all, then empties /tmp and /dev/shm. As PID 1 of the container's PID namespace, kill(-1)
/// reaches every process in it but this one, and every process in it descends from this one, so with
/// no child left there is nothing to kill: one waitpid(WNOHANG) then.
fn isolate(req: u64) {
    // SAFETY (the system calls of this function): plain system calls; null status pointers are allowed.
    if unsafe { sys::getpid() } != 1 {
        return; // main refuses to start so; checked again because of what kill(-1) would do
    }
    if !(unsafe { sys::waitpid(-1, ptr::null_mut(), sys::WNOHANG) } < 0 && sys::errno() == sys::ECHILD) {
        unsafe { sys::kill(-1, sys::SIGKILL) };
        while unsafe { sys::waitpid(-1, ptr::null_mut(), 0) } >= 0 || sys::errno() == sys::EINTR {}
    }
    let (mut left, mut what) = (0, String::new());
    for dir in [&b"/tmp\0"[..], &b"/dev/shm\0"[..]] {
        let (n, first) = wipe::wipe(CStr::from_bytes_with_nul(dir).unwrap());
        if n > 0 && left == 0 {
            what = first;
        }
        left += n;
    }
    if left > 0 {
        say(&format!(
            "isolation: after request {}, {} entries of /tmp and /dev/shm could not be removed (first: {})",
            req, left, what
        ));
    }
}

/// What spawn_child needs. The child runs in the init's memory (CLONE_VM) while the init is suspended
/// (CLONE_VFORK), on a stack of its own: it touches only its stack, `err` and the LISTEN_PID buffer.
struct Spawn {
    fd: c_int,
    stdio: bool,
    argv: *const *const c_char,
    envp: *const *const c_char,
    listen_pid: *mut [u8; 32],
    /// errno of the failed step; 0 when the handler was exec'd.
    err: c_int,
}

/// Bytes of the child's stack: execvpe builds the path it tries on it.
const SPAWN_STACK: usize = 256 * 1024;

#[repr(C, align(16))]
struct Stack([u8; SPAWN_STACK]);

static mut STACK: Stack = Stack([0; SPAWN_STACK]);

/// The child: LISTEN_PID, the connection at 3, exec. Allocates nothing and takes no lock.
extern "C" fn spawn_child(arg: *mut c_void) -> c_int {
    // SAFETY: arg is the &mut Spawn that serve_forked passed to clone; serve_forked is suspended
    // (CLONE_VFORK) until this exec's or exits, so nothing else touches it meanwhile.
    let sp = unsafe { &mut *arg.cast::<Spawn>() };
    // SAFETY: listen_pid points into the suspended parent's HandlerEnv, which nothing else touches
    // meanwhile; getpid is a plain system call.
    set_listen_pid(unsafe { &mut *sp.listen_pid }, unsafe { sys::getpid() });
    if move_client(sp.fd, sp.stdio) {
        // SAFETY: argv and envp are NULL-terminated arrays of NUL-terminated strings that the
        // suspended parent keeps alive.
        unsafe { sys::execvpe(*sp.argv, sp.argv, sp.envp) };
    }
    sp.err = sys::errno();
    // SAFETY: ends the child without running anything of the parent's (no atexit, no flush).
    unsafe { sys::_exit(exec_exit_code(sp.err)) }
}

/// fork mode: runs the handler on connection `req`, reporting ACK with RUN or FAIL in one write (one
/// wake-up of the pool), then DONE <status> <req>. The handler's process is made with
/// clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: no copy of the init's address space, and clone
/// returns once the child has exec'd or failed to, so its result is known without a pipe.
fn serve_forked(ctl: c_int, fd: c_int, argv: *const *const c_char, env: &mut HandlerEnv, stdio: bool, isolation: bool, req: u64) {
    let mut sp = Spawn { fd, stdio, argv, envp: env.envp.as_ptr(), listen_pid: &mut *env.listen_pid, err: 0 };
    // SAFETY: the stack is used by one child at a time (the parent is suspended until it exec's or
    // exits), and its top is 16-aligned; sp outlives the child's use of it (see spawn_child).
    let child = unsafe {
        let top = ptr::addr_of_mut!(STACK).cast::<u8>().add(SPAWN_STACK);
        sys::clone(spawn_child, top.cast(), sys::CLONE_VM | sys::CLONE_VFORK | sys::SIGCHLD, (&mut sp as *mut Spawn).cast())
    };
    let err = if child < 0 { sys::errno() } else { sp.err };
    close_if_open(fd);
    if child < 0 {
        let _ = send_line(ctl, &format!("ACK\nFAIL fork {} {}", err, sys::strerror_text(err)));
        let _ = send_line(ctl, &format!("DONE {} {}", EXIT_CONTROL, req));
        return;
    }
    let sent = if err != 0 {
        send_line(ctl, &format!("ACK\nFAIL exec {} {}", err, sys::strerror_text(err)))
    } else {
        send_line(ctl, &format!("ACK\nRUN {}", child))
    };
    if let Err(e) = sent {
        fail(None, EXIT_CONTROL, "ack", e, "send ACK");
    }
    let status = wait_handler(child);
    if isolation {
        isolate(req);
    }
    let _ = send_line(ctl, &format!("DONE {} {}", status, req));
}

/// An environment variable as bytes; None when unset or empty.
fn env(name: &str) -> Option<Vec<u8>> {
    std::env::var_os(name).map(|v| v.as_bytes().to_vec()).filter(|v| !v.is_empty())
}

fn text(bytes: &[u8]) -> String {
    OsStr::from_bytes(bytes).to_string_lossy().into_owned()
}

/// The program, called by glibc as C's main: no Rust runtime start runs before it (see the top).
// It must be a safe `pub extern "C"` function with C's signature; the pointers it takes are glibc's.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
#[no_mangle]
pub extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // No ptrace or /proc/1/mem for the handlers; exec undoes it. prctl is variadic: its four arguments
    // are passed as unsigned longs, as the kernel reads them.
    let zero: c_ulong = 0;
    // SAFETY: plain system call.
    unsafe { sys::prctl(sys::PR_SET_DUMPABLE, zero, zero, zero, zero) };
    if argc < 2 {
        say("usage: faas-init <command> [args...]");
        return EXIT_USAGE;
    }
    // SAFETY: glibc passes argc >= 2 valid pointers and a NULL after them; argv[1..] is the handler's.
    let (handler, name) = unsafe { (argv.add(1), CStr::from_ptr(*argv.add(1)).to_string_lossy().into_owned()) };

    let mode = match env("FAAS_MODE").as_deref() {
        None | Some(b"oneshot") => Mode::Oneshot,
        Some(b"fork") => Mode::Fork,
        Some(b"persistent") => Mode::Persistent,
        Some(m) => {
            say(&format!("unknown FAAS_MODE '{}' (oneshot, fork or persistent)", text(m)));
            return EXIT_USAGE;
        }
    };
    // Request isolation: only fork mode has requests after the first to isolate.
    let isolation = match env("FAAS_ISOLATION").as_deref() {
        None | Some(b"container") => false,
        Some(b"request") => mode == Mode::Fork,
        Some(i) => {
            say(&format!("unknown FAAS_ISOLATION '{}' (container or request)", text(i)));
            return EXIT_USAGE;
        }
    };
    // SAFETY: plain system call.
    if isolation && unsafe { sys::getpid() } != 1 {
        say("isolation: request needs faas-init to be PID 1 of its container");
        return EXIT_USAGE;
    }
    let stdio = env("FAAS_STDIO").as_deref() == Some(b"1");

    if mode == Mode::Persistent {
        // SAFETY: handler is argv's NULL-terminated tail.
        unsafe { sys::execvp(*handler, handler) };
        let err = sys::errno();
        say(&format!("exec {}: {}", name, sys::strerror_text(err)));
        return exec_exit_code(err);
    }

    let path = env("FAAS_CONTROL_SOCK").unwrap_or_else(|| DEFAULT_CONTROL_SOCK.as_bytes().to_vec());
    let ctl = connect_control(&path);
    // SAFETY: plain system call.
    let pid = unsafe { sys::getpid() };
    if let Err(e) = send_line(ctl, &format!("HELLO {} {} {} trace", PROTOCOL_VERSION, pid, CONCURRENCY)) {
        fail(None, EXIT_CONTROL, "hello", e, "send HELLO");
    }
    let mut env = HandlerEnv::new();

    if mode == Mode::Fork {
        let mut req = 1;
        loop {
            let (fd, trace) = match receive_client(ctl) {
                Some(got) => got,
                None => return 0, // the pool is done with this container
            };
            env.set_trace(&trace);
            serve_forked(ctl, fd, handler, &mut env, stdio, isolation, req);
            req += 1;
        }
    }

    let (fd, trace) = match receive_client(ctl) {
        Some(got) => got,
        None => fail(None, EXIT_CONTROL, "recv", 0, "control socket closed before a descriptor arrived"),
    };
    if let Err(e) = send_line(ctl, "ACK") {
        fail(None, EXIT_CONTROL, "ack", e, "send ACK");
    }
    if !move_client(fd, stdio) {
        fail(Some(ctl), EXIT_CONTROL, "recv", sys::errno(), "moving the client descriptor to 3");
    }
    set_listen_pid(&mut env.listen_pid, pid);
    env.set_trace(&trace);
    // SAFETY: handler and env.envp are NULL-terminated arrays of NUL-terminated strings.
    unsafe { sys::execvpe(*handler, handler, env.envp.as_ptr()) };

    let err = sys::errno();
    let _ = send_line(ctl, &format!("FAIL exec {} {}", err, sys::strerror_text(err)));
    say(&format!("exec {}: {}", name, sys::strerror_text(err)));
    exec_exit_code(err)
}
