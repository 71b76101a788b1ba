//! Request isolation's second step: emptying `/tmp` and `/dev/shm` (PROTOCOL.md, Request isolation).
//! The same walk as the C init's `wipe_dir`: `openat`/`unlinkat`, never following a symlink, never
//! entering another mount, `u+rwx` given back to a directory its owner locked, and at most
//! `WIPE_DEPTH` directories open at once (deeper ones are moved up into the top directory and emptied
//! on a later pass).

use crate::sys;
use std::ffi::{CStr, CString};
use std::os::raw::c_int;
use std::sync::atomic::{AtomicU64, Ordering};

/// Directories open at once while emptying one; deeper ones are moved up.
const WIPE_DEPTH: usize = 32;
/// Bounds the passes over the top directory (each hoist shortens a chain).
const WIPE_PASSES: u64 = 1_000_000;

/// Names the directories moved up (`.faas-init-<n>`), unique for the init's life, as in the C init.
static HOIST_SEQ: AtomicU64 = AtomicU64::new(0);

/// Emptying one top directory: one pass over it, and what it could not remove.
struct Wipe {
    root: c_int,
    /// The top directory's device: a directory on another one is a mount, never entered.
    dev: (u32, u32),
    /// dev is known and the file system is writable.
    checked: bool,
    /// A read-only file system: no request can have left anything there.
    readonly: bool,
    /// Directories moved up to the top this pass.
    hoisted: u64,
    /// Entries this pass could not remove, the errno and name of the first.
    left: u64,
    err: c_int,
    first: String,
}

impl Wipe {
    fn failed(&mut self, depth: usize, name: &CStr, err: c_int) {
        if self.left == 0 {
            self.err = err;
            self.first = format!("{}{}", if depth > 0 { ".../" } else { "" }, name.to_string_lossy());
        }
        self.left += 1;
    }
}

/// The device and mode of an open descriptor, or the errno.
fn fstatx(fd: c_int) -> Result<((u32, u32), u32), c_int> {
    let mut st = sys::Statx::zeroed();
    // SAFETY: an empty NUL-terminated path with AT_EMPTY_PATH names fd itself; st is a valid buffer.
    let rc = unsafe { sys::statx(fd, b"\0".as_ptr().cast(), sys::AT_EMPTY_PATH, sys::STATX_TYPE_MODE, &mut st) };
    if rc < 0 {
        return Err(sys::errno());
    }
    Ok(((st.stx_dev_major, st.stx_dev_minor), u32::from(st.stx_mode)))
}

/// Removes every entry of the directory `d`, at `depth` below the top. Nothing else runs in the
/// container by now (isolate killed it), so nothing changes the tree while it is walked.
fn wipe_dir(w: &mut Wipe, d: *mut sys::Dir, depth: usize) {
    // SAFETY: d is an open DIR, owned by the caller for the whole call.
    let fd = unsafe { sys::dirfd(d) };
    loop {
        sys::set_errno(0);
        // SAFETY: as above; the entry stays valid until the next readdir on d, and is used only before it.
        let e = unsafe { sys::readdir(d) };
        if e.is_null() {
            break;
        }
        // SAFETY: a non-null readdir result points to a dirent with a NUL-terminated d_name.
        let (name, d_type) = unsafe { (CStr::from_ptr((*e).d_name.as_ptr()), (*e).d_type) };
        let bytes = name.to_bytes();
        if bytes == b"." || bytes == b".." {
            continue;
        }
        // The entry's name is needed after later readdir calls (hoisting, recursion): copy it.
        let name = name.to_owned();
        if !w.checked {
            // The first entry of the first pass: is there anything to do at all?
            match fstatx(w.root) {
                Ok((dev, _)) => w.dev = dev,
                Err(err) => return w.failed(depth, CStr::from_bytes_with_nul(b".\0").unwrap(), err),
            }
            w.checked = true;
            let mut vfs = sys::Statvfs::zeroed();
            // SAFETY: root is open; vfs is a valid buffer.
            if unsafe { sys::fstatvfs(w.root, &mut vfs) } == 0 && vfs.f_flag & sys::ST_RDONLY != 0 {
                w.readonly = true;
                return;
            }
        }
        if d_type != sys::DT_DIR {
            // SAFETY: fd is open; name is NUL-terminated. (So for every call below taking fd and name.)
            if unsafe { sys::unlinkat(fd, name.as_ptr(), 0) } == 0 {
                continue;
            }
            let err = sys::errno();
            if err != sys::EISDIR && !(err == sys::EPERM && d_type == sys::DT_UNKNOWN) {
                w.failed(depth, &name, err);
                continue;
            }
        }
        // SAFETY: as above.
        if unsafe { sys::unlinkat(fd, name.as_ptr(), sys::AT_REMOVEDIR) } == 0 {
            continue; // an empty directory: one call
        }
        let err = sys::errno();
        if err != sys::ENOTEMPTY && err != sys::EEXIST {
            w.failed(depth, &name, err); // EBUSY: a mount point
            continue;
        }
        // A directory now (rmdir said ENOTEMPTY), so chmod, which follows symlinks, is safe on it.
        if depth + 1 >= WIPE_DEPTH {
            let seq = HOIST_SEQ.fetch_add(1, Ordering::Relaxed) + 1;
            let to = CString::new(format!(".faas-init-{}", seq)).unwrap();
            // SAFETY: fd and root are open; both names are NUL-terminated.
            let mut rc = unsafe { sys::renameat(fd, name.as_ptr(), w.root, to.as_ptr()) };
            // SAFETY: as above. Moving a directory changes its "..", which needs write permission on it.
            if rc < 0 && sys::errno() == sys::EACCES && unsafe { sys::fchmodat(fd, name.as_ptr(), 0o700, 0) } == 0 {
                // SAFETY: as above.
                rc = unsafe { sys::renameat(fd, name.as_ptr(), w.root, to.as_ptr()) };
            }
            if rc == 0 {
                w.hoisted += 1;
            } else {
                w.failed(depth, &name, sys::errno());
            }
            continue;
        }
        let flags = sys::O_RDONLY | sys::O_DIRECTORY | sys::O_NOFOLLOW | sys::O_CLOEXEC;
        // SAFETY: as above.
        let mut sub = unsafe { sys::openat(fd, name.as_ptr(), flags) };
        // SAFETY: as above. No read or search permission for its owner: give it back, then open.
        if sub < 0 && sys::errno() == sys::EACCES && unsafe { sys::fchmodat(fd, name.as_ptr(), 0o700, 0) } == 0 {
            // SAFETY: as above.
            sub = unsafe { sys::openat(fd, name.as_ptr(), flags) };
        }
        let opened = if sub < 0 {
            Err(sys::errno())
        } else {
            fstatx(sub).and_then(|(dev, mode)| {
                if dev != w.dev {
                    return Err(sys::EXDEV); // another mount: never entered
                }
                if mode & 0o700 != 0o700 {
                    // chmod 0500 does not keep its entries: same uid. SAFETY: sub is open.
                    unsafe { sys::fchmod(sub, (mode & 0o7777) | 0o700) };
                }
                // SAFETY: sub is an open directory descriptor; the DIR takes it over.
                let sd = unsafe { sys::fdopendir(sub) };
                if sd.is_null() {
                    Err(sys::errno())
                } else {
                    Ok(sd)
                }
            })
        };
        match opened {
            Err(err) => {
                w.failed(depth, &name, err);
                if sub >= 0 {
                    // SAFETY: sub is open and not owned by a DIR (fdopendir failed or was not called).
                    unsafe { sys::close(sub) };
                }
            }
            Ok(sd) => {
                wipe_dir(w, sd, depth + 1);
                // SAFETY: sd is open and used no more; closedir closes sub with it.
                unsafe { sys::closedir(sd) };
                // SAFETY: as above.
                if unsafe { sys::unlinkat(fd, name.as_ptr(), sys::AT_REMOVEDIR) } < 0 {
                    w.failed(depth, &name, sys::errno());
                }
            }
        }
    }
    let err = sys::errno();
    if err != 0 {
        w.failed(depth, CStr::from_bytes_with_nul(b".\0").unwrap(), err);
    }
}

/// Empties the directory `top` (not top itself). Returns how many entries could not be removed and,
/// when any, the first of them as `<path>: <strerror>`. A top that does not exist is fine; an empty
/// one costs an open, a statx, two getdents and a close.
pub fn wipe(top: &CStr) -> (u64, String) {
    let top_text = top.to_string_lossy();
    // SAFETY: top is NUL-terminated.
    let root = unsafe { sys::openat(sys::AT_FDCWD, top.as_ptr(), sys::O_RDONLY | sys::O_DIRECTORY | sys::O_NOFOLLOW | sys::O_CLOEXEC) };
    if root < 0 {
        let err = sys::errno();
        if err == sys::ENOENT {
            return (0, String::new());
        }
        return (1, format!("{}: {}", top_text, sys::strerror_text(err)));
    }
    // SAFETY: root is an open directory descriptor; the DIR takes it over.
    let d = unsafe { sys::fdopendir(root) };
    if d.is_null() {
        let err = sys::errno();
        // SAFETY: root is open and not owned by a DIR.
        unsafe { sys::close(root) };
        return (1, format!("{}: {}", top_text, sys::strerror_text(err)));
    }
    let mut w = Wipe { root, dev: (0, 0), checked: false, readonly: false, hoisted: 0, left: 0, err: 0, first: String::new() };
    for pass in 0..WIPE_PASSES {
        w.left = 0;
        w.hoisted = 0;
        if pass > 0 {
            // SAFETY: d is open.
            unsafe { sys::rewinddir(d) };
        }
        wipe_dir(&mut w, d, 0);
        if w.hoisted == 0 || w.readonly {
            break;
        }
    }
    // SAFETY: d is open and used no more.
    unsafe { sys::closedir(d) };
    if w.left == 0 {
        return (0, String::new());
    }
    (w.left, format!("{}/{}: {}", top_text, w.first, sys::strerror_text(w.err)))
}
