/*
 * faas-init: takes client connections from the faas-pool control socket and runs the handler on them.
 *
 *   faas-init <command> [args...]
 *
 * Speaks control protocol version 2 (PROTOCOL.md next to this file). FAAS_MODE picks the mode:
 *   oneshot (default)  connect -> HELLO 2 <pid> 1 -> recvmsg -> ACK -> exec the handler on the connection.
 *   fork               connect -> HELLO 2 <pid> 1, then per connection n = 1, 2, ...: recvmsg ->
 *                      spawn the handler (clone with CLONE_VM|CLONE_VFORK, then exec) -> ACK and
 *                      RUN <pid> in one write -> waitpid -> DONE <status> <n>; EOF from the pool ends it.
 *   persistent         exec the handler at once; it speaks the protocol itself through an SDK.
 * Oneshot and fork mode serve one connection at a time, so HELLO announces a concurrency of 1.
 * The handler finds the connection at descriptor 3: FAAS_CLIENT_FD=3, and LISTEN_FDS=1, LISTEN_PID,
 * LISTEN_FDNAMES=connection for sd_listen_fds(); with FAAS_STDIO=1 also as stdin and stdout.
 * The control connection is close-on-exec: in oneshot mode a successful exec shows up as EOF.
 *
 * Exit codes: 0 fork mode ended by the pool, 1 control-socket failure, 2 usage,
 * 126 handler not executable, 127 handler not found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROTOCOL_VERSION 2
#define CONCURRENCY 1 /* connections served at once: one, in oneshot and fork mode */
#define DEFAULT_CONTROL_SOCK "/control.sock"
#define CLIENT_FD 3
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
 * Blocks until the pool sends 'F' with exactly one descriptor and returns it, blocking. Any other
 * descriptors that arrive are closed: the handler must inherit only its own. Returns -1 when the pool
 * closed the control connection.
 */
static int receive_client(int ctl)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cbuf;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};

	ssize_t n;
	do
		n = recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fail(ctl, EXIT_CONTROL, "recv", errno, "recvmsg");
	if (n == 0)
		return -1;

	int fd = -1, extra = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd < 0) {
				fd = got;
			} else {
				close(got);
				extra = 1;
			}
		}
	}
	if (msg.msg_flags & MSG_CTRUNC)
		extra = 1;
	if (byte != 'F') {
		if (fd >= 0)
			close(fd);
		fail(ctl, EXIT_CONTROL, "proto", 0, "unexpected message from the pool");
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

/* oneshot: moves the connection and sets the handler's environment in this process, which execs next. */
static int hand_to_handler(int fd, int stdio)
{
	if (move_client(fd, stdio) < 0)
		return -1;
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (setenv("FAAS_CLIENT_FD", "3", 1) < 0 || setenv("LISTEN_FDS", "1", 1) < 0 ||
	    setenv("LISTEN_PID", pid, 1) < 0 || setenv("LISTEN_FDNAMES", "connection", 1) < 0)
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
 * What serve_forked's child needs. The child runs in the init's memory (CLONE_VM) while the init is
 * suspended (CLONE_VFORK), on a stack of its own: it touches only its stack and `err`.
 */
struct spawn {
	int fd;
	int stdio;
	char **argv;
	int err; /* errno of the failed step; 0 when the handler was exec'd */
};

/* Bytes of the child's stack: its frame holds the handler's environment (pointers only). */
#define SPAWN_STACK (256 * 1024)
#define ENV_MAX 4096

static int is_ours(const char *var)
{
	static const char *const set[] = { "FAAS_CLIENT_FD=", "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=" };
	for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (!strncmp(var, set[i], strlen(set[i])))
			return 1;
	return 0;
}

/* The child: connection at 3, environment built on its own stack (setenv would change the init's), exec. */
static int spawn_child(void *arg)
{
	struct spawn *sp = arg;
	extern char **environ;
	char *envp[ENV_MAX + 5];
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
 */
static void serve_forked(int ctl, int fd, char *argv[], int stdio, unsigned long req)
{
	static char stack[SPAWN_STACK] __attribute__((aligned(16)));
	struct spawn sp = { .fd = fd, .stdio = stdio, .argv = argv, .err = 0 };
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
	send_line(ctl, "DONE %d %lu", wait_handler(child), req);
}

int main(int argc, char *argv[])
{
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
	if (send_line(ctl, "HELLO %d %d %d", PROTOCOL_VERSION, (int)getpid(), CONCURRENCY) < 0)
		fail(-1, EXIT_CONTROL, "hello", errno, "send HELLO");

	if (mode == FORK) {
		for (unsigned long req = 1;; req++) {
			int fd = receive_client(ctl);
			if (fd < 0)
				return 0; /* the pool is done with this container */
			serve_forked(ctl, fd, &argv[1], stdio, req);
		}
	}

	int fd = receive_client(ctl);
	if (fd < 0)
		fail(-1, EXIT_CONTROL, "recv", 0, "control socket closed before a descriptor arrived");
	if (send_line(ctl, "ACK") < 0)
		fail(-1, EXIT_CONTROL, "ack", errno, "send ACK");
	if (hand_to_handler(fd, stdio) < 0)
		fail(ctl, EXIT_CONTROL, "recv", errno, "moving the client descriptor to 3");

	execvp(argv[1], &argv[1]);

	int err = errno;
	send_line(ctl, "FAIL exec %d %s", err, strerror(err));
	say("exec %s: %s", argv[1], strerror(err));
	return exec_exit_code(err);
}
