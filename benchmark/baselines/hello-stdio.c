/*
 * hello-stdio: examples/hello-c/hello.c for inetd-style use, as `docker run -i` gives a container
 * its client: the request comes on stdin, the response goes to stdout. Same logic and bytes: read the
 * request head, answer 200 with the fixed body, exit.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
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
	char buf[8192];
	size_t have = 0;
	while (have < sizeof(buf) - 1) {
		ssize_t n = read(0, buf + have, sizeof(buf) - 1 - have);
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
		ssize_t n = write(1, RESPONSE + off, sizeof(RESPONSE) - 1 - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("hello-stdio: write");
			return 1;
		}
		off += n;
	}
	return 0;
}
