/*
 * hello: the built-in default function. A static HTTP handler for faas-init's FAAS_CLIENT_FD contract:
 * reads the request head, answers 200 with a fixed body, closes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char RESPONSE[] =
	"HTTP/1.1 200 OK\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 22\r\n"
	"Connection: close\r\n"
	"\r\n"
	"Hello from faas-pool!\n";

int main(void)
{
	const char *env = getenv("FAAS_CLIENT_FD");
	if (!env) {
		fputs("hello: FAAS_CLIENT_FD is not set\n", stderr);
		return 1;
	}
	int fd = atoi(env);

	/* Read the whole request head: closing with unread bytes would reset the connection. */
	char buf[8192];
	size_t have = 0;
	while (have < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += n;
		buf[have] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}

	for (size_t off = 0; off < sizeof(RESPONSE) - 1;) {
		ssize_t n = write(fd, RESPONSE + off, sizeof(RESPONSE) - 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("hello: write");
			return 1;
		}
		off += n;
	}
	shutdown(fd, SHUT_WR);
	close(fd);
	return 0;
}
