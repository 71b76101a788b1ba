/*
 * forkserver: one process per connection, inetd style. Accepts on 127.0.0.1:<port> and, for each
 * connection, forks and execs <command> with the connection at descriptor 3 and FAAS_CLIENT_FD=3
 * (the contract faas-init gives a handler), or with --stdio as the command's stdin and stdout.
 * The parent closes its copy at once, so the client sees the end of the response when the command
 * closes or exits.
 *
 *   forkserver <port> /path/to/hello                                   the pre-Docker server
 *   forkserver --stdio <port> docker run --rm -i --name bench-x-%N IMAGE   a container per connection
 *
 * In the command's arguments, %N becomes the connection's number (1, 2, ...), so that every
 * container gets a name of its own. Children are reaped as they exit (SIGCHLD ignored here, set back
 * to the default in the child before exec).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A copy of arg with its first %N replaced by n. */
static char *expand(const char *arg, unsigned long n)
{
	const char *p = strstr(arg, "%N");
	if (!p)
		return (char *)arg;
	char *out;
	if (asprintf(&out, "%.*s%lu%s", (int)(p - arg), arg, n, p + 2) < 0)
		return NULL;
	return out;
}

static void child(int fd, int stdio, char **cmd, int ncmd, unsigned long n)
{
	signal(SIGCHLD, SIG_DFL);
	char **argv = calloc(ncmd + 1, sizeof(char *));
	if (!argv)
		_exit(127);
	for (int i = 0; i < ncmd; i++)
		if (!(argv[i] = expand(cmd[i], n)))
			_exit(127);
	if (stdio) {
		if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
			_exit(126);
	} else {
		if (fd != 3 && dup2(fd, 3) < 0)
			_exit(126);
		setenv("FAAS_CLIENT_FD", "3", 1);
	}
	if (fd > 3 || (stdio && fd > 1))
		close(fd);
	execvp(argv[0], argv);
	fprintf(stderr, "forkserver: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	int stdio = argc > 1 && strcmp(argv[1], "--stdio") == 0;
	if (argc < 3 + stdio) {
		fputs("usage: forkserver [--stdio] <port> <command> [args...]\n", stderr);
		return 2;
	}
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1 + stdio])),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0
	    || bind(ls, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(ls, 4096) < 0) {
		perror("forkserver: listen");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN); /* no zombies */
	for (unsigned long n = 1;; n++) {
		int fd = accept(ls, NULL, NULL); /* not close-on-exec: the child hands it on */
		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED)
				perror("forkserver: accept");
			continue;
		}
		pid_t pid = fork();
		if (pid == 0)
			child(fd, stdio, argv + 2 + stdio, argc - 2 - stdio, n);
		if (pid < 0)
			perror("forkserver: fork"); /* the client sees the connection close */
		close(fd);
	}
}
