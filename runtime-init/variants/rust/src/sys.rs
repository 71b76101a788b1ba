//! The libc functions faas-init needs, declared by hand (no `libc` crate), with the types and
//! constants they take, and the `cmsg(3)` arithmetic for `SCM_RIGHTS`.
//!
//! Only Linux with glibc on x86_64 and aarch64 is supported (checked below). Both are LP64 and use the
//! kernel's generic ABI for everything here, except two `open(2)` flags (`O_DIRECTORY`, `O_NOFOLLOW`),
//! which differ and are chosen per architecture. Struct layouts are glibc's for 64-bit Linux, the same
//! on both: `msghdr` and `cmsghdr` (`size_t` lengths), `dirent` (`readdir`, 64-bit `d_ino`/`d_off`),
//! `statvfs`. File status comes from `statx(2)`, whose struct is the same on every architecture
//! (unlike `struct stat`).
//!
//! The wrappers are thin: each returns what the C function returns, and `errno()` reads its error.
//! Callers check every result, as the C init does.

use std::os::raw::{c_char, c_int, c_uint, c_ulong, c_void};

#[cfg(not(all(target_os = "linux", target_env = "gnu", any(target_arch = "x86_64", target_arch = "aarch64"))))]
compile_error!("faas-init-rust supports Linux with glibc on x86_64 and aarch64 only (see sys.rs)");

pub const AF_UNIX: c_int = 1;
pub const SOCK_STREAM: c_int = 1;
pub const SOCK_CLOEXEC: c_int = 0o2000000;
pub const SOL_SOCKET: c_int = 1;
pub const SCM_RIGHTS: c_int = 1;
pub const MSG_CTRUNC: c_int = 0x8;
pub const MSG_NOSIGNAL: c_int = 0x4000;
pub const MSG_CMSG_CLOEXEC: c_int = 0x4000_0000;

pub const F_SETFD: c_int = 2;
pub const F_GETFL: c_int = 3;
pub const F_SETFL: c_int = 4;
pub const F_DUPFD_CLOEXEC: c_int = 1030;

pub const O_RDONLY: c_int = 0;
pub const O_NONBLOCK: c_int = 0o4000;
pub const O_CLOEXEC: c_int = 0o2000000;
#[cfg(target_arch = "x86_64")]
pub const O_DIRECTORY: c_int = 0o200000;
#[cfg(target_arch = "x86_64")]
pub const O_NOFOLLOW: c_int = 0o400000;
#[cfg(target_arch = "aarch64")]
pub const O_DIRECTORY: c_int = 0o40000;
#[cfg(target_arch = "aarch64")]
pub const O_NOFOLLOW: c_int = 0o100000;

pub const AT_FDCWD: c_int = -100;
pub const AT_REMOVEDIR: c_int = 0x200;
pub const AT_EMPTY_PATH: c_int = 0x1000;
pub const STATX_TYPE_MODE: c_uint = 0x1 | 0x2;
pub const ST_RDONLY: c_ulong = 1;
pub const DT_UNKNOWN: u8 = 0;
pub const DT_DIR: u8 = 4;

pub const PR_SET_DUMPABLE: c_int = 4;
pub const SIGKILL: c_int = 9;
pub const SIGCHLD: c_int = 17;
pub const WNOHANG: c_int = 1;
pub const CLONE_VM: c_int = 0x100;
pub const CLONE_VFORK: c_int = 0x4000;

pub const EPERM: c_int = 1;
pub const ENOENT: c_int = 2;
pub const EINTR: c_int = 4;
pub const ECHILD: c_int = 10;
pub const EACCES: c_int = 13;
pub const EEXIST: c_int = 17;
pub const EXDEV: c_int = 18;
pub const ENOTDIR: c_int = 20;
pub const EISDIR: c_int = 21;
pub const ENOTEMPTY: c_int = 39;

#[repr(C)]
pub struct SockaddrUn {
    pub sun_family: u16,
    pub sun_path: [u8; 108],
}

#[repr(C)]
pub struct Iovec {
    pub iov_base: *mut c_void,
    pub iov_len: usize,
}

/// glibc's `struct msghdr` on 64-bit Linux (`msg_iovlen` and `msg_controllen` are `size_t`).
#[repr(C)]
pub struct MsgHdr {
    pub msg_name: *mut c_void,
    pub msg_namelen: u32,
    pub msg_iov: *mut Iovec,
    pub msg_iovlen: usize,
    pub msg_control: *mut c_void,
    pub msg_controllen: usize,
    pub msg_flags: c_int,
}

/// `struct cmsghdr`: a `size_t` length, then level and type; 16 bytes, and data follows at 16.
#[repr(C)]
pub struct CmsgHdr {
    pub cmsg_len: usize,
    pub cmsg_level: c_int,
    pub cmsg_type: c_int,
}

// The cmsg(3) macros. Control messages are aligned to sizeof(size_t) (8 on both architectures):
//   CMSG_ALIGN(n) = (n + 7) & !7
//   CMSG_LEN(n)   = CMSG_ALIGN(sizeof(cmsghdr)) + n      = 16 + n   (what cmsg_len holds)
//   CMSG_SPACE(n) = CMSG_ALIGN(sizeof(cmsghdr)) + CMSG_ALIGN(n)   (room one message takes)
//   CMSG_DATA(c)  = (u8*)c + CMSG_ALIGN(sizeof(cmsghdr))       = c + 16
//   CMSG_NXTHDR   = c + CMSG_ALIGN(c->cmsg_len), if a whole header still fits in msg_controllen
pub const fn cmsg_align(n: usize) -> usize {
    (n + std::mem::size_of::<usize>() - 1) & !(std::mem::size_of::<usize>() - 1)
}
pub const CMSG_HDR: usize = cmsg_align(std::mem::size_of::<CmsgHdr>());
pub const fn cmsg_len(n: usize) -> usize {
    CMSG_HDR + n
}
pub const fn cmsg_space(n: usize) -> usize {
    CMSG_HDR + cmsg_align(n)
}

/// `struct statx`: the same layout on every architecture. Only the fields faas-init reads are named.
#[repr(C)]
pub struct Statx {
    pub stx_mask: u32,
    pub stx_blksize: u32,
    pub stx_attributes: u64,
    pub stx_nlink: u32,
    pub stx_uid: u32,
    pub stx_gid: u32,
    pub stx_mode: u16,
    pad1: u16,
    pub stx_ino: u64,
    pub stx_size: u64,
    pub stx_blocks: u64,
    pub stx_attributes_mask: u64,
    times: [u64; 8], // atime, btime, ctime, mtime: 16 bytes each
    pub stx_rdev_major: u32,
    pub stx_rdev_minor: u32,
    pub stx_dev_major: u32,
    pub stx_dev_minor: u32,
    spare: [u64; 14],
}

impl Statx {
    pub fn zeroed() -> Statx {
        // SAFETY: Statx is plain integers; all-zero is a valid value of each.
        unsafe { std::mem::zeroed() }
    }
}

/// glibc's `struct statvfs` on 64-bit Linux; only `f_flag` is read.
#[repr(C)]
pub struct Statvfs {
    pub f_bsize: c_ulong,
    pub f_frsize: c_ulong,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_favail: u64,
    pub f_fsid: c_ulong,
    pub f_flag: c_ulong,
    pub f_namemax: c_ulong,
    spare: [c_int; 6],
}

impl Statvfs {
    pub fn zeroed() -> Statvfs {
        // SAFETY: Statvfs is plain integers; all-zero is a valid value of each.
        unsafe { std::mem::zeroed() }
    }
}

/// glibc's `struct dirent` on 64-bit Linux.
#[repr(C)]
pub struct Dirent {
    pub d_ino: u64,
    pub d_off: i64,
    pub d_reclen: u16,
    pub d_type: u8,
    pub d_name: [c_char; 256],
}

/// glibc's `DIR`, only ever behind a pointer.
#[repr(C)]
pub struct Dir {
    _opaque: [u8; 0],
}

extern "C" {
    pub static environ: *const *const c_char;
    pub fn __errno_location() -> *mut c_int;
    pub fn strerror(err: c_int) -> *const c_char;

    pub fn prctl(option: c_int, ...) -> c_int;
    pub fn getpid() -> c_int;
    pub fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int;
    pub fn connect(fd: c_int, addr: *const SockaddrUn, len: u32) -> c_int;
    pub fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    pub fn close(fd: c_int) -> c_int;
    pub fn dup2(old: c_int, new: c_int) -> c_int;
    pub fn recvmsg(fd: c_int, msg: *mut MsgHdr, flags: c_int) -> isize;
    pub fn send(fd: c_int, buf: *const c_void, len: usize, flags: c_int) -> isize;
    pub fn waitpid(pid: c_int, status: *mut c_int, options: c_int) -> c_int;
    pub fn kill(pid: c_int, sig: c_int) -> c_int;
    pub fn clone(f: extern "C" fn(*mut c_void) -> c_int, stack: *mut c_void, flags: c_int, arg: *mut c_void, ...) -> c_int;
    pub fn execvp(file: *const c_char, argv: *const *const c_char) -> c_int;
    pub fn execvpe(file: *const c_char, argv: *const *const c_char, envp: *const *const c_char) -> c_int;
    pub fn _exit(code: c_int) -> !;

    pub fn openat(dirfd: c_int, path: *const c_char, flags: c_int, ...) -> c_int;
    pub fn unlinkat(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int;
    pub fn renameat(olddir: c_int, old: *const c_char, newdir: c_int, new: *const c_char) -> c_int;
    pub fn fchmodat(dirfd: c_int, path: *const c_char, mode: c_uint, flags: c_int) -> c_int;
    pub fn fchmod(fd: c_int, mode: c_uint) -> c_int;
    pub fn statx(dirfd: c_int, path: *const c_char, flags: c_int, mask: c_uint, buf: *mut Statx) -> c_int;
    pub fn fstatvfs(fd: c_int, buf: *mut Statvfs) -> c_int;
    pub fn fdopendir(fd: c_int) -> *mut Dir;
    pub fn readdir(d: *mut Dir) -> *mut Dirent;
    pub fn rewinddir(d: *mut Dir);
    pub fn closedir(d: *mut Dir) -> c_int;
    pub fn dirfd(d: *mut Dir) -> c_int;
}

/// The calling thread's `errno`.
pub fn errno() -> c_int {
    // SAFETY: __errno_location returns a valid pointer to this thread's errno.
    unsafe { *__errno_location() }
}

pub fn set_errno(value: c_int) {
    // SAFETY: as in errno().
    unsafe { *__errno_location() = value }
}

/// `strerror(err)` as text: glibc's messages, in the C locale (faas-init never calls setlocale).
pub fn strerror_text(err: c_int) -> String {
    // SAFETY: strerror returns a NUL-terminated string that stays valid until the next strerror call on
    // this thread; it is copied at once.
    unsafe { std::ffi::CStr::from_ptr(strerror(err)) }.to_string_lossy().into_owned()
}
