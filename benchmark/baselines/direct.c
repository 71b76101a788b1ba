/*
 * direct: the ceiling. One process, one thread, epoll: accepts on 127.0.0.1:<port>, reads each
 * request head, answers with the response of examples/hello-c/hello.c, shuts the connection down
 * and closes it. No process, container or hand-off per request.
 *
 *   direct <port>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char RESPONSE[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 22\r\n"
	"Connection: close\r\n"
	"\r\n"
	"Hello from faas-pool!\n";

struct conn {
	int fd;
	size_t have; /* bytes of the request head read */
	size_t sent; /* bytes of the response written; writing once > 0 or head complete */
	int writing;
	char buf[8192];
};

static void finish(struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	close(c->fd); /* also leaves the epoll set */
	free(c);
}

/* Writes what is left of the response; 1 when done, 0 to wait for EPOLLOUT, -1 on error. */
static int send_rest(struct conn *c)
{
	while (c->sent < sizeof(RESPONSE) - 1) {
		ssize_t n = write(c->fd, RESPONSE + c->sent, sizeof(RESPONSE) - 1 - c->sent);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->sent += n;
	}
	return 1;
}

static void on_event(int ep, struct conn *c)
{
	if (!c->writing) {
		for (;;) {
			ssize_t n = read(c->fd, c->buf + c->have, sizeof(c->buf) - 1 - c->have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return; /* head not complete yet */
			if (n > 0) {
				c->have += n;
				c->buf[c->have] = '\0';
				if (!strstr(c->buf, "\r\n\r\n") && c->have < sizeof(c->buf) - 1)
					continue;
			}
			break; /* head complete, buffer full, EOF or error: answer, as hello does */
		}
		c->writing = 1;
	}
	int r = send_rest(c);
	if (r == 0) {
		struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
		if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
			return;
	}
	finish(c);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: direct <port>\n", stderr);
		return 2;
	}
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0
	    || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(ls, 4096) < 0) {
		perror("direct: listen");
		return 1;
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event lev = { .events = EPOLLIN, .data.ptr = NULL };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ls, &lev) < 0) {
		perror("direct: epoll");
		return 1;
	}
	struct epoll_event evs[64];
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("direct: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr) {
				on_event(ep, evs[i].data.ptr);
				continue;
			}
			int fd;
			while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				struct conn *c = calloc(1, sizeof(*c));
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
				if (!c || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
					close(fd);
					free(c);
					continue;
				}
				c->fd = fd;
				on_event(ep, c); /* the request is usually there already */
			}
		}
	}
}
