/*
 * faas-init: takes one client connection from the faas-pool control socket and execs the handler.
 *
 *   faas-init <command> [args...]
 *
 * Speaks control protocol version 1 (PROTOCOL.md next to this file):
 *   connect($FAAS_CONTROL_SOCK or /control.sock) -> "HELLO 1 <pid>" -> recvmsg(SCM_RIGHTS)
 *   -> "ACK" -> FAAS_CLIENT_FD=<fd> -> execvp(command).
 * The control connection is SOCK_CLOEXEC, so a successful exec shows up at the pool as EOF.
 *
 * Exit codes: 1 control-socket failure, 2 usage, 126 handler not executable, 127 handler not found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define PROTOCOL_VERSION 1
#define DEFAULT_CONTROL_SOCK "/control.sock"
#define EXIT_CONTROL 1
#define EXIT_USAGE 2
#define EXIT_NOEXEC 126
#define EXIT_NOTFOUND 127

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

static int connect_control(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path)) {
		say("control socket path too long: %s", path);
		exit(EXIT_CONTROL);
	}
	strcpy(addr.sun_path, path);

	int ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl < 0) {
		say("socket: %s", strerror(errno));
		exit(EXIT_CONTROL);
	}
	if (connect(ctl, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		say("connect to %s: %s", path, strerror(errno));
		exit(EXIT_CONTROL);
	}
	return ctl;
}

/*
 * Blocks until the pool sends 'F' with exactly one descriptor and returns it, blocking, without
 * FD_CLOEXEC. Any other descriptors that arrive are closed: the handler must inherit only its own.
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
		n = recvmsg(ctl, &msg, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fail(ctl, EXIT_CONTROL, "recv", errno, "recvmsg");
	if (n == 0)
		fail(-1, EXIT_CONTROL, "recv", 0, "control socket closed before a descriptor arrived");

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

int main(int argc, char *argv[])
{
	if (argc < 2) {
		say("usage: faas-init <command> [args...]");
		return EXIT_USAGE;
	}
	const char *path = getenv("FAAS_CONTROL_SOCK");
	if (!path || !*path)
		path = DEFAULT_CONTROL_SOCK;

	int ctl = connect_control(path);
	if (send_line(ctl, "HELLO %d %d", PROTOCOL_VERSION, (int)getpid()) < 0)
		fail(-1, EXIT_CONTROL, "hello", errno, "send HELLO");

	int fd = receive_client(ctl);

	char fd_str[16];
	snprintf(fd_str, sizeof(fd_str), "%d", fd);
	if (setenv("FAAS_CLIENT_FD", fd_str, 1) < 0)
		fail(ctl, EXIT_CONTROL, "recv", errno, "setenv");
	if (send_line(ctl, "ACK") < 0)
		fail(-1, EXIT_CONTROL, "ack", errno, "send ACK");

	execvp(argv[1], &argv[1]);

	int err = errno;
	int code = (err == ENOENT || err == ENOTDIR) ? EXIT_NOTFOUND : EXIT_NOEXEC;
	send_line(ctl, "FAIL exec %d %s", err, strerror(err));
	say("exec %s: %s", argv[1], strerror(err));
	return code;
}
