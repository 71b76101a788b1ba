/*
 * faas-init: takes client connections from the faas-pool control socket and runs the handler on them.
 *
 *   faas-init <command> [args...]
 *
 * Speaks control protocol version 2 (PROTOCOL.md next to this file). FAAS_MODE picks the mode:
 *   oneshot (default)  connect -> HELLO 2 <pid> 1 trace -> recvmsg -> ACK -> exec the handler on the
 *                      connection.
 *   fork               connect -> HELLO 2 <pid> 1 trace, then per connection n = 1, 2, ...: recvmsg ->
 *                      spawn the handler (clone with CLONE_VM|CLONE_VFORK, then exec) -> ACK and
 *                      RUN <pid> in one write -> waitpid -> DONE <status> <n>; EOF from the pool ends it.
 *   persistent         exec the handler at once; it speaks the protocol itself through an SDK.
 * Oneshot and fork mode serve one connection at a time, so HELLO announces a concurrency of 1.
 * They take trace context ("trace" in HELLO): the pool sends each descriptor with 'F', or with 'T' and a
 * 55-byte W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>, lower case, neither id all zeros), and the
 * handler runs with TRACEPARENT set to it after a 'T' and with no TRACEPARENT at all after an 'F',
 * whatever this process's own environment holds. A 'T' whose 55 bytes are anything else is
 * FAIL proto 0 bad trace context, exit 1.
 * The handler finds the connection at descriptor 3: FAAS_CLIENT_FD=3, and LISTEN_FDS=1, LISTEN_PID,
 * LISTEN_FDNAMES=connection for sd_listen_fds(); with FAAS_STDIO=1 also as stdin and stdout.
 * The control connection is close-on-exec: in oneshot mode a successful exec shows up as EOF.
 *
 * FAAS_ISOLATION (fork mode): container (default, also when unset or empty) lets requests share the
 * container; request, after each handler's waitpid and before its DONE, kills every other process of
 * the container (kill(-1, SIGKILL), then reaps until ECHILD) and empties /tmp and /dev/shm (see
 * isolate). request refuses to start (exit 2) unless this process is PID 1 of its PID namespace:
 * kill(-1) anywhere else would kill the machine, and the host's /tmp is not ours to empty. Oneshot and
 * persistent mode accept either value and ignore it; any other value exits 2.
 *
 * In every mode the init first makes itself non-dumpable (prctl(PR_SET_DUMPABLE, 0)): a handler of
 * the same uid then cannot ptrace PID 1 or open /proc/1/mem, environ, maps or fd/. Exec makes a
 * process dumpable again, so handlers are not affected.
 *
 * Exit codes: 0 fork mode ended by the pool, 1 control-socket failure, 2 usage,
 * 126 handler not executable, 127 handler not found.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROTOCOL_VERSION 2
#define CONCURRENCY 1 /* connections served at once: one, in oneshot and fork mode */
#define DEFAULT_CONTROL_SOCK "/control.sock"
#define CLIENT_FD 3
#define TRACEPARENT_LEN 55 /* "00-" 32 hex "-" 16 hex "-" 2 hex: the bytes after a 'T' */
#define CONTROL_FD_MIN 10 /* keeps the control connection clear of 0-3, which the handler gets */
#define EXIT_CONTROL 1
#define EXIT_USAGE 2
#define EXIT_NOEXEC 126
#define EXIT_NOTFOUND 127

enum mode { ONESHOT, FORK, PERSISTENT };

/* One line on stderr, prefixed, like every other error exit of this program. */
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("faas-init: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Writes one protocol line; returns 0 or -1 with errno set. */
static int send_line(int ctl, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = send(ctl, line + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += w;
	}
	return 0;
}

/* Reports a failure to the pool (best effort) and to stderr, then exits. */
static void fail(int ctl, int code, const char *stage, int err, const char *what)
{
	const char *reason = err ? strerror(err) : what;
	if (ctl >= 0)
		send_line(ctl, "FAIL %s %d %s", stage, err, reason);
	if (err)
		say("%s: %s", what, reason);
	else
		say("%s", what);
	exit(code);
}

static int exec_exit_code(int err)
{
	return (err == ENOENT || err == ENOTDIR) ? EXIT_NOTFOUND : EXIT_NOEXEC;
}

static int connect_control(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path)) {
		say("control socket path too long: %s", path);
		exit(EXIT_CONTROL);
	}
	strcpy(addr.sun_path, path);

	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		say("socket: %s", strerror(errno));
		exit(EXIT_CONTROL);
	}
	if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		say("connect to %s: %s", path, strerror(errno));
		exit(EXIT_CONTROL);
	}
	int ctl = fcntl(s, F_DUPFD_CLOEXEC, CONTROL_FD_MIN);
	if (ctl < 0) {
		say("fcntl on the control socket: %s", strerror(errno));
		exit(EXIT_CONTROL);
	}
	close(s);
	return ctl;
}

/*
 * Whether t is a traceparent the pool may send (PROTOCOL.md, Trace context): version 00, lower-case
 * hex, neither the trace id nor the parent id all zeros. W3C Trace Context asks no less of a receiver.
 */
static int valid_traceparent(const char *t)
{
	static const char shape[] = "00-################################-################-##";
	int trace_id = 0, parent_id = 0;
	for (int i = 0; i < TRACEPARENT_LEN; i++) {
		if (shape[i] != '#') {
			if (t[i] != shape[i])
				return 0;
			continue;
		}
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
			return 0;
		if (t[i] != '0') {
			if (i < 35)
				trace_id = 1;
			else if (i < 52)
				parent_id = 1;
		}
	}
	return trace_id && parent_id;
}

/*
 * Blocks until the pool sends 'F' with exactly one descriptor, or 'T', 55 bytes of trace context and
 * exactly one descriptor, and returns the descriptor, blocking; `trace` gets the traceparent,
 * NUL-terminated, or "" after an 'F'. The 56 bytes of a 'T' come in one sendmsg but a stream may split
 * them: it reads on until it has them all (and never past them: the pool sends nothing else before
 * this hand-off's RUN). Any other descriptors that arrive are closed: the handler must inherit only
 * its own. Returns -1 when the pool closed the control connection.
 */
static int receive_client(int ctl, char trace[TRACEPARENT_LEN + 1])
{
	char buf[1 + TRACEPARENT_LEN];
	size_t got = 0, need = 1;
	int fd = -1, extra = 0;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cbuf;

	while (got < need) {
		struct iovec iov = { .iov_base = buf + got, .iov_len = sizeof(buf) - got };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		ssize_t n = recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(ctl, EXIT_CONTROL, "recv", errno, "recvmsg");
		if (n == 0 && got == 0)
			return -1;
		if (n == 0) { /* EOF inside a 'T': what came is no traceparent */
			if (fd >= 0)
				close(fd);
			fail(ctl, EXIT_CONTROL, "proto", 0, "bad trace context");
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < count; i++) {
				int in;
				memcpy(&in, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (fd < 0) {
					fd = in;
				} else {
					close(in);
					extra = 1;
				}
			}
		}
		if (msg.msg_flags & MSG_CTRUNC)
			extra = 1;
		if (got == 0 && buf[0] == 'T')
			need = sizeof(buf);
		got += n;
	}
	if (got != need || (buf[0] != 'F' && buf[0] != 'T')) { /* 'F' and more, or another byte */
		if (fd >= 0)
			close(fd);
		fail(ctl, EXIT_CONTROL, "proto", 0, "unexpected message from the pool");
	}
	trace[0] = '\0';
	if (buf[0] == 'T') {
		if (!valid_traceparent(buf + 1)) {
			if (fd >= 0)
				close(fd);
			fail(ctl, EXIT_CONTROL, "proto", 0, "bad trace context");
		}
		memcpy(trace, buf + 1, TRACEPARENT_LEN);
		trace[TRACEPARENT_LEN] = '\0';
	}
	if (fd < 0 || extra) {
		if (fd >= 0)
			close(fd);
		fail(ctl, EXIT_CONTROL, "nofd", 0, "message did not carry exactly one descriptor");
	}

	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		fail(ctl, EXIT_CONTROL, "recv", errno, "fcntl on the client descriptor");
	return fd;
}

/*
 * In the process about to exec the handler: puts the connection at descriptor 3 (and 0 and 1 with
 * stdio), inheritable. Returns 0, or -1 with errno set.
 */
static int move_client(int fd, int stdio)
{
	if (fd != CLIENT_FD) {
		if (dup2(fd, CLIENT_FD) < 0)
			return -1;
		close(fd);
	} else if (fcntl(fd, F_SETFD, 0) < 0) {
		return -1;
	}
	if (stdio && (dup2(CLIENT_FD, 0) < 0 || dup2(CLIENT_FD, 1) < 0))
		return -1;
	return 0;
}

/*
 * oneshot: moves the connection and sets the handler's environment in this process, which execs next:
 * TRACEPARENT is the request's trace context, or unset ("" from receive_client).
 */
static int hand_to_handler(int fd, int stdio, const char *trace)
{
	if (move_client(fd, stdio) < 0)
		return -1;
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (setenv("FAAS_CLIENT_FD", "3", 1) < 0 || setenv("LISTEN_FDS", "1", 1) < 0 ||
	    setenv("LISTEN_PID", pid, 1) < 0 || setenv("LISTEN_FDNAMES", "connection", 1) < 0 ||
	    (*trace ? setenv("TRACEPARENT", trace, 1) : unsetenv("TRACEPARENT")) < 0)
		return -1;
	return 0;
}

/* Waits for the handler, reaping any orphan that ends meanwhile; returns its status as a shell would. */
static int wait_handler(pid_t child)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, 0);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			return EXIT_CONTROL;
		if (p == child)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}

/*
 * Request isolation (FAAS_ISOLATION=request, fork mode): what one request leaves behind in the
 * container is removed before the next one, between the handler's waitpid and its DONE.
 */

#define WIPE_DEPTH 32        /* directories open at once while emptying one; deeper ones are moved up */
#define WIPE_PASSES 1000000  /* bounds the passes over the top directory (each hoist shortens a chain) */

/* Emptying one top directory (/tmp, /dev/shm): one pass over it, and what it could not remove. */
struct wipe {
	const char *top;
	int root;               /* the top directory's descriptor, where deep directories are moved to */
	dev_t dev;              /* its device: a directory on another one is a mount, never entered */
	int checked;            /* dev is known and the file system is writable */
	int readonly;           /* a read-only file system: no request can have left anything there */
	unsigned long hoisted;  /* directories moved up to the top this pass */
	unsigned long left;     /* entries this pass could not remove */
	int err;                /* errno of the first of them */
	char first[NAME_MAX + 8];
};

static unsigned long hoist_seq;

static void wipe_failed(struct wipe *w, int depth, const char *name, int err)
{
	if (w->left++ == 0) {
		w->err = err;
		snprintf(w->first, sizeof(w->first), "%s%s", depth ? ".../" : "", name);
	}
}

/*
 * Removes every entry of the directory d, at `depth` below the top: unlinkat, never following a
 * symlink (a symlink is removed, not its target), and never entering another mount (rmdir on a mount
 * point fails with EBUSY before anything else, and a directory on another device is not entered).
 * A directory whose owner (the handler's uid, as a rule: the init's) took away its own write or search
 * permission is given it back (chmod u+rwx) before it is emptied: chmod 0500 must not keep a file.
 * A directory WIPE_DEPTH levels down is moved up into the top directory instead of entered, for a
 * later pass: so at most WIPE_DEPTH directories are open at once, however deep a chain a handler
 * made (deeper than PATH_MAX, past the open-file limit). Nothing else runs in the container by now
 * (isolate killed it), so nothing changes the tree while it is walked.
 */
static void wipe_dir(struct wipe *w, DIR *d, int depth)
{
	struct dirent *e;
	int fd = dirfd(d);
	while ((errno = 0, e = readdir(d))) {
		const char *name = e->d_name;
		if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
			continue;
		if (!w->checked) { /* the first entry of the first pass: is there anything to do at all? */
			struct stat sb;
			struct statvfs vfs;
			if (fstat(w->root, &sb) < 0) {
				wipe_failed(w, depth, ".", errno);
				return;
			}
			w->dev = sb.st_dev;
			w->checked = 1;
			if (fstatvfs(w->root, &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
				w->readonly = 1;
				return;
			}
		}
		if (e->d_type != DT_DIR) {
			if (unlinkat(fd, name, 0) == 0)
				continue;
			if (errno != EISDIR && !(errno == EPERM && e->d_type == DT_UNKNOWN)) {
				wipe_failed(w, depth, name, errno);
				continue;
			}
		}
		if (unlinkat(fd, name, AT_REMOVEDIR) == 0) /* an empty directory: one call */
			continue;
		if (errno != ENOTEMPTY && errno != EEXIST) { /* EBUSY: a mount point */
			wipe_failed(w, depth, name, errno);
			continue;
		}
		/* A directory now (rmdir said ENOTEMPTY), so chmod, which follows symlinks, is safe on it. */
		if (depth + 1 >= WIPE_DEPTH) {
			char to[32];
			snprintf(to, sizeof(to), ".faas-init-%lu", ++hoist_seq);
			int rc = renameat(fd, name, w->root, to);
			if (rc < 0 && errno == EACCES && fchmodat(fd, name, 0700, 0) == 0) /* its .. changes */
				rc = renameat(fd, name, w->root, to);
			if (rc == 0)
				w->hoisted++;
			else
				wipe_failed(w, depth, name, errno);
			continue;
		}
		int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0 && errno == EACCES && fchmodat(fd, name, 0700, 0) == 0) /* no r or x for its owner */
			sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat sb;
		DIR *sd = NULL;
		int err = sub < 0 || fstat(sub, &sb) < 0 ? errno : sb.st_dev != w->dev ? EXDEV
								  : (sd = fdopendir(sub)) ? 0 : errno;
		if (!err && (sb.st_mode & 0700) != 0700) /* chmod 0500 does not keep its entries: same uid */
			fchmod(sub, (sb.st_mode & 07777) | 0700);
		if (err) {
			wipe_failed(w, depth, name, err);
			if (sub >= 0)
				close(sub);
			continue;
		}
		wipe_dir(w, sd, depth + 1);
		closedir(sd);
		if (unlinkat(fd, name, AT_REMOVEDIR) < 0)
			wipe_failed(w, depth, name, errno);
	}
	if (errno)
		wipe_failed(w, depth, ".", errno);
}

/*
 * Empties the directory top (not top itself). Returns how many entries could not be removed, and the
 * first of them in `first` ("" for none). A top that does not exist is fine; an empty one costs an
 * open, a fstat, two getdents and a close.
 */
static unsigned long wipe(const char *top, char *first, size_t size)
{
	struct wipe w = { .top = top };
	first[0] = '\0';
	w.root = open(top, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (w.root < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(first, size, "%s: %s", top, strerror(errno));
		return 1;
	}
	DIR *d = fdopendir(w.root);
	if (!d) {
		snprintf(first, size, "%s: %s", top, strerror(errno));
		close(w.root);
		return 1;
	}
	for (unsigned long pass = 0; pass < WIPE_PASSES; pass++) {
		w.left = w.hoisted = 0;
		if (pass)
			rewinddir(d);
		wipe_dir(&w, d, 0);
		if (!w.hoisted || w.readonly)
			break;
	}
	closedir(d);
	if (w.left)
		snprintf(first, size, "%s/%s: %s", top, w.first, strerror(w.err));
	return w.left;
}

/*
 * After request `req`'s handler was reaped: kills every other process of the container and reaps
 * them all, then empties /tmp and /dev/shm. As PID 1 of the container's PID namespace, kill(-1)
 * reaches every process in it but this one, and every process in it descends from this one (orphans
 * are reparented here), so with no child left there is nothing to kill: one waitpid(WNOHANG) then.
 * What could not be removed is said in one line on stderr.
 */
static void isolate(unsigned long req)
{
	if (getpid() != 1) /* main refuses to start so; checked again because of what kill(-1) would do */
		return;
	if (!(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)) {
		kill(-1, SIGKILL);
		while (waitpid(-1, NULL, 0) >= 0 || errno == EINTR)
			;
	}
	static const char *const dirs[] = { "/tmp", "/dev/shm" };
	char first[NAME_MAX + 64], what[NAME_MAX + 64] = "";
	unsigned long left = 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		unsigned long n = wipe(dirs[i], first, sizeof(first));
		if (n && !left)
			memcpy(what, first, sizeof(what));
		left += n;
	}
	if (left)
		say("isolation: after request %lu, %lu entries of /tmp and /dev/shm could not be removed (first: %s)",
		    req, left, what);
}

/*
 * What serve_forked's child needs. The child runs in the init's memory (CLONE_VM) while the init is
 * suspended (CLONE_VFORK), on a stack of its own: it touches only its stack and `err`.
 */
struct spawn {
	int fd;
	int stdio;
	char **argv;
	char *traceparent; /* "TRACEPARENT=<55 bytes>", or NULL: the request had no trace context */
	int err; /* errno of the failed step; 0 when the handler was exec'd */
};

/* Bytes of the child's stack: its frame holds the handler's environment (pointers only). */
#define SPAWN_STACK (256 * 1024)
#define ENV_MAX 4096

static int is_ours(const char *var)
{
	static const char *const set[] = { "FAAS_CLIENT_FD=", "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=",
					   "TRACEPARENT=" };
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (!strncmp(var, set[i], strlen(set[i])))
			return 1;
	return 0;
}

/*
 * The child: connection at 3, environment built on its own stack (setenv would change the init's, and
 * so the next request's: TRACEPARENT is this request's or none), exec.
 */
static int spawn_child(void *arg)
{
	struct spawn *sp = arg;
	extern char **environ;
	char *envp[ENV_MAX + 6];
	char listen_pid[32];
	size_t n = 0;
	for (char **e = environ; *e && n < ENV_MAX; e++)
		if (!is_ours(*e))
			envp[n++] = *e;
	snprintf(listen_pid, sizeof(listen_pid), "LISTEN_PID=%d", (int)getpid());
	envp[n++] = "FAAS_CLIENT_FD=3";
	envp[n++] = "LISTEN_FDS=1";
	envp[n++] = listen_pid;
	envp[n++] = "LISTEN_FDNAMES=connection";
	if (sp->traceparent)
		envp[n++] = sp->traceparent;
	envp[n] = NULL;
	if (move_client(sp->fd, sp->stdio) == 0)
		execvpe(sp->argv[0], sp->argv, envp);
	sp->err = errno;
	_exit(exec_exit_code(errno));
}

/*
 * fork mode: runs the handler on connection `req` (the req-th descriptor on this control connection,
 * from 1), reporting ACK with RUN or FAIL in one write (one wake-up of the pool; the spawn takes far
 * less than the pool's 2 s ACK deadline), then DONE <status> <req>. The handler's process is made with
 * clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: no copy of the init's address space, and clone
 * returns once the child has exec'd or failed to, so its result is known without a pipe. (Measured on this project's VM: fork+exec+wait ~3.9 ms, this ~1.3 ms.)
 * With request isolation, isolate() runs between the handler's end and its DONE.
 */
static void serve_forked(int ctl, int fd, const char *trace, char *argv[], int stdio, int isolation,
			 unsigned long req)
{
	static char stack[SPAWN_STACK] __attribute__((aligned(16)));
	static char traceparent[sizeof("TRACEPARENT=") + TRACEPARENT_LEN] = "TRACEPARENT=";
	struct spawn sp = { .fd = fd, .stdio = stdio, .argv = argv, .err = 0 };
	if (*trace) { /* no allocation: the one buffer is rewritten per request, while no child uses it */
		memcpy(traceparent + sizeof("TRACEPARENT=") - 1, trace, TRACEPARENT_LEN + 1);
		sp.traceparent = traceparent;
	}
	pid_t child = clone(spawn_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &sp);
	int err = child < 0 ? errno : sp.err;
	close(fd);
	if (child < 0) {
		send_line(ctl, "ACK\nFAIL fork %d %s", err, strerror(err));
		send_line(ctl, "DONE %d %lu", EXIT_CONTROL, req);
		return;
	}
	int sent = err ? send_line(ctl, "ACK\nFAIL exec %d %s", err, strerror(err))
		       : send_line(ctl, "ACK\nRUN %d", (int)child);
	if (sent < 0)
		fail(-1, EXIT_CONTROL, "ack", errno, "send ACK");
	int status = wait_handler(child);
	if (isolation)
		isolate(req);
	send_line(ctl, "DONE %d %lu", status, req);
}

int main(int argc, char *argv[])
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* no ptrace or /proc/1/mem for the handlers; exec undoes it */
	if (argc < 2) {
		say("usage: faas-init <command> [args...]");
		return EXIT_USAGE;
	}
	const char *m = getenv("FAAS_MODE");
	enum mode mode;
	if (!m || !*m || !strcmp(m, "oneshot"))
		mode = ONESHOT;
	else if (!strcmp(m, "fork"))
		mode = FORK;
	else if (!strcmp(m, "persistent"))
		mode = PERSISTENT;
	else {
		say("unknown FAAS_MODE '%s' (oneshot, fork or persistent)", m);
		return EXIT_USAGE;
	}
	const char *i = getenv("FAAS_ISOLATION");
	int isolation; /* request isolation: only fork mode has requests after the first to isolate */
	if (!i || !*i || !strcmp(i, "container"))
		isolation = 0;
	else if (!strcmp(i, "request"))
		isolation = mode == FORK;
	else {
		say("unknown FAAS_ISOLATION '%s' (container or request)", i);
		return EXIT_USAGE;
	}
	if (isolation && getpid() != 1) {
		say("isolation: request needs faas-init to be PID 1 of its container");
		return EXIT_USAGE;
	}
	const char *s = getenv("FAAS_STDIO");
	int stdio = s && !strcmp(s, "1");

	if (mode == PERSISTENT) {
		execvp(argv[1], &argv[1]);
		int err = errno;
		say("exec %s: %s", argv[1], strerror(err));
		return exec_exit_code(err);
	}

	const char *path = getenv("FAAS_CONTROL_SOCK");
	if (!path || !*path)
		path = DEFAULT_CONTROL_SOCK;
	int ctl = connect_control(path);
	if (send_line(ctl, "HELLO %d %d %d trace", PROTOCOL_VERSION, (int)getpid(), CONCURRENCY) < 0)
		fail(-1, EXIT_CONTROL, "hello", errno, "send HELLO");

	char trace[TRACEPARENT_LEN + 1];
	if (mode == FORK) {
		for (unsigned long req = 1;; req++) {
			int fd = receive_client(ctl, trace);
			if (fd < 0)
				return 0; /* the pool is done with this container */
			serve_forked(ctl, fd, trace, &argv[1], stdio, isolation, req);
		}
	}

	int fd = receive_client(ctl, trace);
	if (fd < 0)
		fail(-1, EXIT_CONTROL, "recv", 0, "control socket closed before a descriptor arrived");
	if (send_line(ctl, "ACK") < 0)
		fail(-1, EXIT_CONTROL, "ack", errno, "send ACK");
	if (hand_to_handler(fd, stdio, trace) < 0)
		fail(ctl, EXIT_CONTROL, "recv", errno, "moving the client descriptor to 3");

	execvp(argv[1], &argv[1]);

	int err = errno;
	send_line(ctl, "FAIL exec %d %s", err, strerror(err));
	say("exec %s: %s", argv[1], strerror(err));
	return exec_exit_code(err);
}
