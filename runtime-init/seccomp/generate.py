#!/usr/bin/env python3
"""Generates faas-pool's seccomp profile, src/main/resources/seccomp/faas.json (version 1).

An allowlist in Docker's profile format: defaultAction SCMP_ACT_ERRNO (EPERM), and allowed every
syscall of the kernel's tables for x86_64 and aarch64 (read from this machine's kernel headers) except
those of DENY below, each with its reason, and those of CONDITIONAL, allowed only for some arguments.
runtime-init/seccomp/README.md says what and why.

    python3 runtime-init/seccomp/generate.py            writes the profile, and the deny table in README.md
    python3 runtime-init/seccomp/generate.py --check    exit 1 when the committed profile (or table) differs
    python3 runtime-init/seccomp/generate.py --table    prints the deny table

Deterministic: the same headers and this file give the same bytes (names sorted, fixed layout).
Python 3 standard library only.
"""

import argparse
import difflib
import json
import os
import re
import sys

VERSION = 1

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUTPUT = os.path.join(ROOT, "src", "main", "resources", "seccomp", "faas.json")
README = os.path.join(HERE, "README.md")
TABLE_BEGIN = "<!-- deny table: written by generate.py -->\n"
TABLE_END = "<!-- end of the deny table -->\n"

X86_64_TABLE = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
# aarch64 uses the generic table; which of its optional parts it has is set by the arch's own header
# (arch/arm64/include/uapi/asm/unistd.h), not installed on an amd64 machine, so written out here.
GENERIC_TABLE = "/usr/include/asm-generic/unistd.h"
AARCH64_DEFINES = {
    "__BITS_PER_LONG": 64,
    "__ARCH_WANT_RENAMEAT": 1,
    "__ARCH_WANT_NEW_STAT": 1,
    "__ARCH_WANT_SET_GET_RLIMIT": 1,
    "__ARCH_WANT_TIME32_SYSCALLS": 1,
    "__ARCH_WANT_SYS_CLONE3": 1,
    "__ARCH_WANT_MEMFD_SECRET": 1,
}

EPERM = 1
ENOSYS = 38

# What a function never needs. Docker's default profile denies these to an unprivileged container
# (https://docs.docker.com/engine/security/seccomp/, "Significant syscalls blocked by the default
# profile", and the calls it allows only with a capability faas-pool drops), and faas-pool adds its
# own (marked "faas-pool:"). One line of reason each.
DENY = {
    # Docker's list
    "acct": "process accounting could disable the container's own accounting; needs CAP_SYS_PACCT",
    "add_key": "the kernel keyring is not namespaced",
    "adjtimex": "the clock is not namespaced; setting it needs CAP_SYS_TIME",
    "bpf": "loads programs into the kernel; large attack surface; needs CAP_SYS_ADMIN/CAP_BPF",
    "clock_adjtime": "the clock is not namespaced",
    "clock_settime": "the clock is not namespaced",
    "create_module": "kernel modules (obsolete, not implemented)",
    "delete_module": "kernel modules; needs CAP_SYS_MODULE",
    "finit_module": "kernel modules; needs CAP_SYS_MODULE",
    "get_kernel_syms": "kernel and module symbols (obsolete, not implemented)",
    "get_mempolicy": "NUMA memory policy of the host's memory; Docker gates it with CAP_SYS_NICE",
    "init_module": "kernel modules; needs CAP_SYS_MODULE",
    "ioperm": "I/O port privilege levels; needs CAP_SYS_RAWIO",
    "iopl": "I/O privilege level; needs CAP_SYS_RAWIO",
    "kcmp": "inspects other processes' kernel resources; Docker gates it with CAP_SYS_PTRACE",
    "kexec_file_load": "loads a new kernel; needs CAP_SYS_BOOT",
    "kexec_load": "loads a new kernel; needs CAP_SYS_BOOT",
    "keyctl": "the kernel keyring is not namespaced",
    "lookup_dcookie": "profiling; leaks information on the host; needs CAP_SYS_ADMIN",
    "mbind": "NUMA memory policy of the host's memory; Docker gates it with CAP_SYS_NICE",
    "modify_ldt": "16-bit segments; old source of kernel bugs and information leaks",
    "mount": "mounting; needs CAP_SYS_ADMIN",
    "move_pages": "moves pages of (other) processes between NUMA nodes",
    "name_to_handle_at": "file handles, the other half of open_by_handle_at",
    "nfsservctl": "the kernel NFS daemon (removed, not implemented)",
    "open_by_handle_at": "opens files by handle, bypassing paths: a known container breakout",
    "perf_event_open": "profiling; leaks information on the host, large attack surface",
    "pivot_root": "changes the root filesystem; privileged",
    "process_vm_readv": "reads another process's memory; Docker gates it with CAP_SYS_PTRACE",
    "process_vm_writev": "writes another process's memory; Docker gates it with CAP_SYS_PTRACE",
    "ptrace": "traces and controls other processes; Docker gates it with CAP_SYS_PTRACE",
    "query_module": "kernel modules (obsolete, not implemented)",
    "quotactl": "disk quotas, which could lift the container's own limits; needs CAP_SYS_ADMIN",
    "reboot": "reboots the host; needs CAP_SYS_BOOT",
    "request_key": "the kernel keyring is not namespaced",
    "set_mempolicy": "NUMA memory policy; Docker gates it with CAP_SYS_NICE",
    "setns": "joins another namespace; needs CAP_SYS_ADMIN",
    "settimeofday": "the clock is not namespaced; needs CAP_SYS_TIME",
    "stime": "the clock is not namespaced; needs CAP_SYS_TIME",
    "swapoff": "swap devices; needs CAP_SYS_ADMIN",
    "swapon": "swap devices; needs CAP_SYS_ADMIN",
    "sysfs": "obsolete filesystem-type query",
    "_sysctl": "obsolete, replaced by /proc/sys (removed from the kernel)",
    "umount": "unmounting; privileged",
    "umount2": "unmounting; privileged",
    "unshare": "new namespaces (a user namespace needs no capability and opens much of the kernel)",
    "uselib": "obsolete shared-library loader",
    "userfaultfd": "user-space page faults: stretches kernel race windows for exploits",
    "ustat": "obsolete",
    "vm86": "in-kernel x86 real-mode virtual machine",
    "vm86old": "in-kernel x86 real-mode virtual machine",
    # Docker allows these only with capabilities that faas-pool drops (CAP_SYS_ADMIN, CAP_SYS_CHROOT,
    # CAP_SYSLOG, CAP_SYS_TTY_CONFIG, CAP_SYS_PTRACE, CAP_SYS_NICE): denied outright here
    "chroot": "changes the root directory; needs CAP_SYS_CHROOT",
    "fsconfig": "the new mount API; needs CAP_SYS_ADMIN",
    "fsmount": "the new mount API; needs CAP_SYS_ADMIN",
    "fsopen": "the new mount API; needs CAP_SYS_ADMIN",
    "fspick": "the new mount API; needs CAP_SYS_ADMIN",
    "migrate_pages": "moves pages of (other) processes between NUMA nodes",
    "mount_setattr": "changes mount properties; needs CAP_SYS_ADMIN",
    "move_mount": "the new mount API; needs CAP_SYS_ADMIN",
    "open_tree": "the new mount API (clones mount trees); needs CAP_SYS_ADMIN",
    "quotactl_fd": "disk quotas; needs CAP_SYS_ADMIN",
    "setdomainname": "the UTS namespace is Docker's to set; needs CAP_SYS_ADMIN",
    "sethostname": "the UTS namespace is Docker's to set; needs CAP_SYS_ADMIN",
    "syslog": "the kernel log leaks kernel addresses and host events; needs CAP_SYSLOG",
    "vhangup": "hangs up the terminal; needs CAP_SYS_TTY_CONFIG",
    # faas-pool's own
    "afs_syscall": "faas-pool: never implemented in Linux; nothing calls it",
    "epoll_ctl_old": "faas-pool: never implemented on x86_64; nothing calls it",
    "epoll_wait_old": "faas-pool: never implemented on x86_64; nothing calls it",
    "fanotify_init": "faas-pool: filesystem-wide event monitoring (and access decisions) of others' files",
    "fanotify_mark": "faas-pool: goes with fanotify_init",
    "getpmsg": "faas-pool: STREAMS, never implemented in Linux; nothing calls it",
    "io_uring_enter": "faas-pool: io_uring, see io_uring_setup",
    "io_uring_register": "faas-pool: io_uring, see io_uring_setup",
    "io_uring_setup": "faas-pool: io_uring's operations bypass seccomp, and it has had many kernel CVEs",
    "memfd_create": "faas-pool: executable code from anonymous memory, around the read-only root and noexec /tmp",
    "memfd_secret": "faas-pool: memory hidden from the kernel's direct map; no function needs it",
    "pkey_alloc": "faas-pool: memory protection keys; Docker 20.10's default refuses them too; V8 falls back",
    "pkey_free": "faas-pool: memory protection keys, see pkey_alloc",
    "pkey_mprotect": "faas-pool: memory protection keys, see pkey_alloc",
    "pidfd_getfd": "faas-pool: copies another process's descriptors (faas-init's connection)",
    "process_madvise": "faas-pool: acts on another process's memory",
    "process_mrelease": "faas-pool: acts on another (dying) process's memory",
    "putpmsg": "faas-pool: STREAMS, never implemented in Linux; nothing calls it",
    "security": "faas-pool: never implemented in Linux; nothing calls it",
    "set_mempolicy_home_node": "faas-pool: NUMA memory policy, as mbind",
    "tuxcall": "faas-pool: never implemented in Linux; nothing calls it",
    "vserver": "faas-pool: never implemented in Linux; nothing calls it",
}

# In Docker's list, but only in 32-bit tables (i386): denied there by not being allowed at all.
NOT_IN_64BIT_TABLES = {"stime", "umount", "vm86", "vm86old"}

CLONE_NEW_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
    # CLONE_NEWTIME (0x80) is clone3/unshare only; in clone's arg0 that bit is the exit signal's
}
CLONE_NEW_MASK = sum(CLONE_NEW_FLAGS.values())
AF_VSOCK = 40
PERSONALITIES = {
    0x0: "PER_LINUX",
    0x8: "PER_LINUX32",
    0x20000: "UNAME26",
    0x20008: "PER_LINUX32|UNAME26",
    0xFFFFFFFF: "query",
}


def arg(index, value, op, value_two=0):
    return {"index": index, "value": value, "valueTwo": value_two, "op": op}


# Allowed only for some arguments (or answered otherwise): name -> list of rules. A name here is
# neither in DENY nor in the unconditional allow rule.
CONDITIONAL = {
    "clone": [{
        "action": "SCMP_ACT_ALLOW",
        "args": [arg(0, CLONE_NEW_MASK, "SCMP_CMP_MASKED_EQ")],
        "comment": "threads and processes, not new namespaces: no CLONE_NEW* flag in arg0",
    }],
    "clone3": [{
        "action": "SCMP_ACT_ERRNO",
        "errnoRet": ENOSYS,
        "comment": "its flags are behind a pointer seccomp cannot read: ENOSYS, so libcs fall back to clone",
    }],
    "personality": [{
        "action": "SCMP_ACT_ALLOW",
        "args": [arg(0, value, "SCMP_CMP_EQ")],
        "comment": "personality " + name,
    } for value, name in sorted(PERSONALITIES.items())],
    "socket": [{
        "action": "SCMP_ACT_ALLOW",
        "args": [arg(0, AF_VSOCK, "SCMP_CMP_NE")],
        "comment": "any socket but AF_VSOCK, which network namespaces do not isolate",
    }],
}

REASON_CONDITIONAL = {
    "clone": "allowed without CLONE_NEW* flags in arg0 (no new namespaces)",
    "clone3": "answered ENOSYS (38): its flags cannot be inspected; glibc and Go fall back to clone",
    "personality": "allowed for 0x0, 0x8, 0x20000, 0x20008 and 0xffffffff (query) only",
    "socket": "allowed for every family but AF_VSOCK (40), which is not namespaced",
}

# Docker's names for the architectures (archMap), and Go's names of them (includes.arches), which
# Docker matches against the engine's architecture.
ARCHES = {
    "x86_64": {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"],
               "go": ["amd64", "x32", "x86"]},
    "aarch64": {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"],
                "go": ["arm", "arm64"]},
}


def read_x86_64(path):
    names = set()
    with open(path) as f:
        for line in f:
            m = re.match(r"#define __NR_([a-z0-9_]+)\s+\d+\s*$", line)
            if m:
                names.add(m.group(1))
    return names


def _eval_condition(expr, defines):
    """Evaluates a preprocessor condition of the generic table (defined(), ==, !=, ||, &&, !)."""
    expr = re.sub(r"defined\s*\(\s*(\w+)\s*\)", lambda m: " 1 " if m.group(1) in defines else " 0 ", expr)
    expr = re.sub(r"defined\s+(\w+)", lambda m: " 1 " if m.group(1) in defines else " 0 ", expr)
    expr = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: " %d " % defines.get(m.group(0), 0), expr)
    expr = expr.replace("||", " or ").replace("&&", " and ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    if not re.fullmatch(r"[\d\s()=!<>a-z]*", expr):
        raise SystemExit("generate.py: cannot evaluate #if " + expr)
    return bool(eval(expr, {"__builtins__": {}}))


def read_generic(path, defines):
    """The syscall names the generic table gives an architecture with these defines."""
    defines = dict(defines)
    numbers = {}
    stack = []  # (this branch active, some branch of the group was taken, parent active)
    active = True
    with open(path) as f:
        for raw in f:
            line = raw.split("/*")[0].strip()
            m = re.match(r"#\s*(ifdef|ifndef|if|elif|else|endif|define|undef)\b\s*(.*)", line)
            if not m:
                continue
            word, rest = m.group(1), m.group(2).strip()
            if word in ("ifdef", "ifndef", "if"):
                if word == "ifdef":
                    cond = rest in defines
                elif word == "ifndef":
                    cond = rest not in defines
                else:
                    cond = _eval_condition(rest, defines)
                stack.append((active, cond))
                active = active and cond
            elif word == "elif":
                parent, taken = stack[-1]
                cond = not taken and _eval_condition(rest, defines)
                stack[-1] = (parent, taken or cond)
                active = parent and cond
            elif word == "else":
                parent, taken = stack[-1]
                stack[-1] = (parent, True)
                active = parent and not taken
            elif word == "endif":
                active, _ = stack.pop()
            elif not active:
                continue
            elif word == "define":
                d = re.match(r"(\w+)(.*)$", rest)
                name, value = d.group(1), d.group(2).strip()
                if re.fullmatch(r"\d+", value):
                    numbers[name] = int(value)
                elif value in numbers:
                    numbers[name] = numbers[value]
                defines.setdefault(name, 1)
            elif word == "undef":
                numbers.pop(rest, None)
                defines.pop(rest, None)
    names = {n[len("__NR_"):] for n in numbers if n.startswith("__NR_")}
    return names - {"syscalls", "arch_specific_syscall"}


def tables():
    """{arch: set of syscall names}, and notes on what was read."""
    found, notes = {}, []
    if not os.path.exists(X86_64_TABLE):
        raise SystemExit("generate.py: %s is missing (apt-get install linux-libc-dev)" % X86_64_TABLE)
    found["x86_64"] = read_x86_64(X86_64_TABLE)
    notes.append("x86_64: %d syscalls from %s" % (len(found["x86_64"]), X86_64_TABLE))
    if os.path.exists(GENERIC_TABLE):
        found["aarch64"] = read_generic(GENERIC_TABLE, AARCH64_DEFINES)
        notes.append("aarch64: %d syscalls from %s" % (len(found["aarch64"]), GENERIC_TABLE))
    else:
        notes.append("aarch64: %s is missing: x86_64 only" % GENERIC_TABLE)
    return found, notes


def check_lists(found):
    every = set().union(*found.values())
    problems = []
    for name in sorted(DENY):
        if name not in every and name not in NOT_IN_64BIT_TABLES:
            problems.append("deny list names %s, which no table has" % name)
    for name in sorted(CONDITIONAL):
        if name in DENY:
            problems.append("%s is both denied and conditional" % name)
        if name not in every:
            problems.append("conditional rule for %s, which no table has" % name)
    if problems:
        raise SystemExit("generate.py: " + "; ".join(problems))


def profile(found, test_errno=None):
    arches = sorted(found)
    rules = []
    # Unconditional allow rules, one per set of architectures a name exists on (most names: all).
    by_arches = {}
    for name in sorted(set().union(*found.values())):
        if name in DENY or name in CONDITIONAL:
            continue
        on = tuple(a for a in arches if name in found[a])
        by_arches.setdefault(on, []).append(name)
    for on in sorted(by_arches, key=lambda t: (-len(t), t)):
        rule = {"names": by_arches[on], "action": "SCMP_ACT_ALLOW"}
        if len(on) < len(arches):
            rule["includes"] = {"arches": sorted(g for a in on for g in ARCHES[a]["go"])}
        rules.append(rule)
    for name in sorted(CONDITIONAL):
        for r in CONDITIONAL[name]:
            rule = {"names": [name], "action": r["action"]}
            if "args" in r:
                rule["args"] = r["args"]
            if "errnoRet" in r:
                rule["errnoRet"] = r["errnoRet"]
            rule["comment"] = r["comment"]
            rules.append(rule)
    if test_errno is not None:
        # Verification only: the denied calls answer an errno no kernel path gives, so a probe can tell
        # seccomp's refusal from the kernel's own EPERM (Docker 20.10 ignores defaultErrnoRet).
        every = set().union(*found.values())
        rules.append({"names": sorted(n for n in DENY if n in every), "action": "SCMP_ACT_ERRNO",
                      "errnoRet": test_errno})
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": EPERM,
        "archMap": [{"architecture": ARCHES[a]["architecture"],
                     "subArchitectures": ARCHES[a]["subArchitectures"]} for a in arches],
        "syscalls": rules,
    }


def render(p):
    return json.dumps(p, indent=2, sort_keys=False) + "\n"


def table(found):
    every = set().union(*found.values())
    lines = ["| syscall | why |", "|---|---|"]
    for name in sorted(set(DENY) | set(CONDITIONAL), key=lambda n: n.lstrip("_")):
        why = DENY.get(name) or REASON_CONDITIONAL[name]
        if name in NOT_IN_64BIT_TABLES and name not in every:
            why += " (32-bit x86 only)"
        lines.append("| `%s` | %s |" % (name, why))
    return "\n".join(lines) + "\n"


def with_table(path, tab):
    """README.md's text with the deny table between its markers replaced by tab."""
    with open(path) as f:
        text = f.read()
    begin, end = text.find(TABLE_BEGIN), text.find(TABLE_END)
    if begin < 0 or end < begin:
        raise SystemExit("generate.py: %s lacks the deny table's markers" % path)
    return text[:begin + len(TABLE_BEGIN)] + tab + text[end:]


def main():
    ap = argparse.ArgumentParser(description="Generates faas-pool's seccomp profile (version %d)." % VERSION)
    ap.add_argument("--check", action="store_true", help="exit 1 when the committed profile or README.md table differs")
    ap.add_argument("--table", action="store_true", help="print the deny list as a Markdown table")
    ap.add_argument("--output", default=OUTPUT, help="where to write (default %(default)s)")
    ap.add_argument("--test-errno", type=int, metavar="N",
                    help="verification only: the denied calls answer errno N instead of EPERM")
    args = ap.parse_args()

    found, notes = tables()
    check_lists(found)
    if args.table:
        sys.stdout.write(table(found))
        return 0
    text = render(profile(found, args.test_errno))
    for n in notes:
        print("generate.py: " + n, file=sys.stderr)
    outputs = [(args.output, text)]
    if args.output == OUTPUT and args.test_errno is None:
        outputs.append((README, with_table(README, table(found))))
    if args.check:
        stale = 0
        for path, want in outputs:
            try:
                with open(path) as f:
                    old = f.read()
            except FileNotFoundError:
                old = ""
            if old != want:
                stale += 1
                print("generate.py: %s differs from what generate.py makes; run it and commit:" % path,
                      file=sys.stderr)
                sys.stderr.writelines(list(difflib.unified_diff(
                    old.splitlines(True), want.splitlines(True), "committed", "generated"))[:60])
            else:
                print("generate.py: %s is up to date" % path, file=sys.stderr)
        return 1 if stale else 0
    for path, want in outputs:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(want)
    allowed = sum(len(r["names"]) for r in profile(found)["syscalls"] if "args" not in r
                  and r["action"] == "SCMP_ACT_ALLOW")
    print("generate.py: wrote %s: %d allowed, %d denied, %d conditional"
          % (" and ".join(p for p, _ in outputs), allowed, len(DENY), len(CONDITIONAL)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
