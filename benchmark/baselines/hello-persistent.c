/*
 * hello-persistent: examples/hello-c/hello.c as a persistent-mode handler written straight to the
 * control protocol (runtime-init/PROTOCOL.md), without an SDK: the leanest handler side a hand-off can
 * have, so that the benchmark measures the hand-off, not a language runtime. Protocol version 2:
 * "HELLO 2 <pid> 1" (one connection at a time), then per connection n = 1, 2, ...: recvmsg the
 * descriptor, "ACK\nRUN <pid>\n" in one write, read the request head, answer, shut down, close,
 * "DONE 0 <n>". Run under faas-init with FAAS_MODE=persistent (the init execs it at once).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char RESPONSE[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 22\r\n"
	"Connection: close\r\n"
	"\r\n"
	"Hello from faas-pool!\n";

static int receive_fd(int ctl)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			      .msg_controllen = sizeof(cbuf.buf) };
	if (recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

int main(void)
{
	const char *path = getenv("FAAS_CONTROL_SOCK");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (!path || strlen(path) >= sizeof(addr.sun_path))
		return 1;
	strcpy(addr.sun_path, path);
	int ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ctl < 0 || connect(ctl, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return 1;
	char line[64];
	int n = snprintf(line, sizeof(line), "HELLO 2 %d 1\n", (int)getpid());
	if (write(ctl, line, n) != n)
		return 1;
	int run = snprintf(line, sizeof(line), "ACK\nRUN %d\n", (int)getpid());
	for (unsigned long nth = 1;; nth++) {
		int fd = receive_fd(ctl);
		if (fd < 0)
			return 0; /* the pool closed the control connection */
		int flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
		if (write(ctl, line, run) != run)
			return 1;
		char req[4096];
		size_t have = 0;
		while (have < sizeof(req) - 1) {
			ssize_t r = read(fd, req + have, sizeof(req) - 1 - have);
			if (r <= 0)
				break;
			have += r;
			req[have] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		ssize_t w = write(fd, RESPONSE, sizeof(RESPONSE) - 1);
		shutdown(fd, SHUT_WR);
		close(fd);
		int status = w == (ssize_t)sizeof(RESPONSE) - 1 ? 0 : 1;
		char done[32];
		int len = snprintf(done, sizeof(done), "DONE %d %lu\n", status, nth);
		if (write(ctl, done, len) != len)
			return 1;
	}
}
