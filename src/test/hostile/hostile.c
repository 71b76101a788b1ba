/*
 * hostile: an adversarial handler for faas-pool's integration tests. faas-pool runs other people's
 * code; this is that code at its worst, so the tests can check what holds at the host boundary.
 * It reads the request head from FAAS_CLIENT_FD, acts on the path and answers 200 with a plain-text
 * body of key=value lines (a failed step reads "ENAME (strerror)"). Query parameters are split on
 * '&' and '=', without percent-decoding. dir defaults to /run/faas, the slot's control directory.
 *
 *   /probe?dir=             uid, gid, euid; whether mkdir, creat, write, symlink work in dir; the
 *                           mountinfo lines of dir and /tmp; RLIMIT_NOFILE; capabilities and
 *                           no_new_privs; ptrace(PTRACE_ATTACH, 1). What the sandbox really is.
 *   /fill?dir=&mb=100       writes up to mb MiB to dir/fill: a full disk or tmpfs on the host.
 *   /setuid?dir=            copies itself to dir/suid, chmod 04755, and leaves it there: a setuid
 *                           binary planted on the host through the control directory.
 *   /symlink-swap?dir=&target=/&seconds=20
 *                           answers, closes the connection, then for seconds swaps dir/victim (a
 *                           directory with a file) with a symlink to target: the TOCTOU attack on a
 *                           host process that walks dir and deletes what it finds. Leaves dir/victim
 *                           a symlink, for the clean-up after the container exits.
 *   /chain?dir=&depth=3000  a chain dir/a/a/... deeper than PATH_MAX (mkdirat/openat), left in place:
 *                           a recursive clean-up on the host must not fail or overflow on it.
 *   /oom                    allocates 1 MiB more forever, no answer: the memory limit.
 *   /hang                   never answers: the request timeout.
 *   /crash                  abort(), nothing written.
 *   /exit?code=3            exits with code, nothing written.
 *   /partial                a head announcing 100 bytes, 4 of them, then SIGKILL: a truncated answer.
 *   /spawn?seconds=6        a child keeps the connection and answers late=1 after seconds while the
 *                           handler exits at once: a process that outlives its request (fork mode).
 *   anything else (/ok)     "ok".
 *
 * hostile --control never-ack|wrong-reply: in persistent mode, a handler that speaks the control
 * protocol itself and breaks it (see hostile_control): the dispatcher's bounded, safe re-dispatch.
 *
 * Test convenience: FAAS_CLIENT_FD=0 reads the request from stdin and answers on stdout, for
 * `printf 'GET /probe HTTP/1.1\r\n\r\n' | docker run -i --entrypoint /hostile ...`.
 * A handler that is PID 1 of its container (oneshot mode) ignores signals it has no handler for and
 * takes every process with it when it exits: /partial then exits 137 by itself, /crash dies of
 * SIGSEGV (musl's abort() falls back to a crashing instruction), /spawn's child dies with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1) /* musl 1.2.3 has neither renameat2() nor the flag */
#endif
#define MIB (1 << 20)

static int in_fd, out_fd;  /* the client connection (0 and 1 in the stdin/stdout convenience) */
static char body[16384];
static size_t body_len;
static struct { char *key, *val; } args[16];
static int nargs;

/* The name and text of an errno value, e.g. "EROFS (Read-only file system)". */
static const char *errstr(int err)
{
	static const struct { int n; const char *name; } names[] = {
#define N(e) { e, #e }
		N(EPERM), N(ENOENT), N(EIO), N(EBADF), N(ENOMEM), N(EACCES), N(EBUSY), N(EEXIST),
		N(EXDEV), N(ENOTDIR), N(EISDIR), N(EINVAL), N(EMFILE), N(EFBIG), N(ENOSPC), N(EROFS),
		N(EMLINK), N(ENAMETOOLONG), N(ENOSYS), N(ENOTEMPTY), N(ELOOP), N(EDQUOT), N(ESRCH),
#undef N
	};
	static char buf[96];
	const char *name = "E?";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].n == err)
			name = names[i].name;
	snprintf(buf, sizeof(buf), "%s (%s)", name, strerror(err));
	return buf;
}

/* "ok" for a call that returned >= 0, else its errno; call it straight on the result. */
static const char *st(long rc)
{
	return rc < 0 ? errstr(errno) : "ok";
}

static void addf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(body + body_len, sizeof(body) - body_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		body_len += (size_t)n < sizeof(body) - body_len ? (size_t)n : sizeof(body) - 1 - body_len;
}

static int write_all(int fd, const void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, (const char *)buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += n;
	}
	return 0;
}

/* Answers 200 with the body so far and closes the connection. */
static void reply(void)
{
	char head[128];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", body_len);
	if (write_all(out_fd, head, n) < 0 || write_all(out_fd, body, body_len) < 0)
		fprintf(stderr, "hostile: write: %s\n", strerror(errno));
	shutdown(out_fd, SHUT_WR); /* ENOTSOCK on stdout: fine */
	close(out_fd);
	if (in_fd != out_fd)
		close(in_fd);
}

static const char *arg(const char *key, const char *def)
{
	for (int i = 0; i < nargs; i++)
		if (strcmp(args[i].key, key) == 0)
			return args[i].val;
	return def;
}

/* dir/name in buf, which holds PATH_MAX bytes; "" (ENOENT for any call) when it does not fit. */
static char *join(char *buf, const char *dir, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		buf[0] = '\0';
	return buf;
}

/* The mountinfo lines of the mount points (the fifth field), as mount:<point>=<line>. */
static void add_mounts(const char *const *points)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024], mnt[512];
	while (f && fgets(line, sizeof(line), f))
		for (const char *const *p = points; *p; p++)
			if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1 && strcmp(mnt, *p) == 0)
				addf("mount:%s=%s", *p, line);
	if (f)
		fclose(f);
}

/* The fields of /proc/self/status that say what the kernel allows: capabilities, no_new_privs, seccomp. */
static void add_status(void)
{
	static const char *const keep[] = { "CapEff", "CapBnd", "NoNewPrivs", "Seccomp" };
	FILE *f = fopen("/proc/self/status", "re");
	char line[256], key[64], val[192];
	while (f && fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (sscanf(line, "%63[^:]: %191s", key, val) == 2 && strcmp(key, keep[i]) == 0)
				addf("%s=%s\n", key, val);
	if (f)
		fclose(f);
}

static void probe(void)
{
	const char *dir = arg("dir", "/run/faas");
	char p[PATH_MAX];
	addf("uid=%d\ngid=%d\neuid=%d\npid=%d\n", (int)getuid(), (int)getgid(), (int)geteuid(), (int)getpid());

	int rc = mkdir(join(p, dir, "probe-dir"), 0755);
	addf("mkdir=%s\n", st(rc));
	if (rc == 0)
		rmdir(p);
	int fd = open(join(p, dir, "probe-file"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	addf("creat=%s\n", st(fd));
	if (fd >= 0) {
		addf("write=%s\n", st(write(fd, "x", 1)));
		close(fd);
		unlink(p);
	} else {
		addf("write=n/a (no file)\n");
	}
	rc = symlink("/", join(p, dir, "probe-link"));
	addf("symlink=%s\n", st(rc));
	if (rc == 0)
		unlink(p);

	const char *mounts[] = { dir, "/tmp", NULL };
	add_mounts(mounts);
	add_status();
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		addf("nofile=%llu/%llu\n", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	rc = ptrace(PTRACE_ATTACH, 1, 0, 0);
	addf("ptrace_attach_1=%s\n", st(rc));
	if (rc == 0) {
		waitpid(1, NULL, __WALL);
		ptrace(PTRACE_DETACH, 1, 0, 0);
	}
	reply();
}

static void fill(void)
{
	static char chunk[MIB];
	long mb = atol(arg("mb", "100")), written = 0;
	const char *err = "none";
	char p[PATH_MAX];
	int fd = open(join(p, arg("dir", "/run/faas"), "fill"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = errstr(errno);
	} else {
		memset(chunk, 'x', sizeof(chunk));
		for (; written < mb; written++)
			if (write_all(fd, chunk, sizeof(chunk)) < 0) {
				err = errstr(errno);
				break;
			}
		close(fd);
	}
	addf("written_mb=%ld\nerror=%s\n", written, err);
	if (fd >= 0)
		addf("removed=%s\n", st(unlink(p)));
	reply();
}

static void setuid_copy(void)
{
	char p[PATH_MAX], buf[65536];
	int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0)
		addf("open_exe=%s\n", errstr(errno));
	int dst = open(join(p, arg("dir", "/run/faas"), "suid"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	addf("create=%s\n", st(dst));
	if (src >= 0 && dst >= 0) {
		ssize_t n;
		int rc = 0;
		while ((n = read(src, buf, sizeof(buf))) > 0 && (rc = write_all(dst, buf, n)) == 0)
			;
		addf("copy=%s\n", st(n < 0 || rc < 0 ? -1 : 0));
		addf("chmod=%s\n", st(chmod(p, 04755)));
		struct stat sb;
		if (fstat(dst, &sb) == 0)
			addf("mode=%o\nowner=%d:%d\n", (unsigned)sb.st_mode, (int)sb.st_uid, (int)sb.st_gid);
	}
	reply();
}

static int exchange(const char *a, const char *b)
{
	return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

static void symlink_swap(void)
{
	const char *dir = arg("dir", "/run/faas"), *target = arg("target", "/");
	time_t end = time(NULL) + atoi(arg("seconds", "20"));
	char victim[PATH_MAX], link[PATH_MAX], away[PATH_MAX], file[PATH_MAX];
	join(victim, dir, "victim");
	join(link, dir, "victim.link");
	join(away, dir, "victim.away");
	join(file, victim, "file");
	addf("mkdir=%s\n", st(mkdir(victim, 0755)));
	addf("symlink=%s\n", st(symlink(target, link)));
	reply();

	long swaps = 0, waits = 0;
	struct stat sb;
	while (time(NULL) < end) {
		if (lstat(victim, &sb) == 0 && S_ISLNK(sb.st_mode)) /* left so by a last run or a cut-short swap */
			if (lstat(link, &sb) < 0 || !S_ISDIR(sb.st_mode) || exchange(victim, link) < 0)
				unlink(victim);
		int fd = -1;
		if ((mkdir(victim, 0755) < 0 && errno != EEXIST) || (symlink(target, link) < 0 && errno != EEXIST)
		    || (fd = open(file, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0) {
			waits++;
			usleep(1000); /* EROFS and the like: keep trying, cheaply */
			continue;
		}
		close(fd);
		if (exchange(victim, link) == 0) { /* victim is now the symlink, atomically */
			swaps++;
			sched_yield();
			exchange(victim, link);
		} else if (rename(victim, away) == 0) { /* no RENAME_EXCHANGE: the classic three steps */
			if (symlink(target, victim) == 0)
				swaps++;
			sched_yield();
			unlink(victim);
			rename(away, victim);
		}
	}
	exchange(victim, link); /* leave victim a symlink to target for the clean-up */
	fprintf(stderr, "hostile: symlink-swap: %ld swaps, %ld waits\n", swaps, waits);
}

static void chain(void)
{
	const char *dir = arg("dir", "/run/faas");
	long depth = atol(arg("depth", "3000")), n = 0, made = 0;
	const char *err = "none";
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		err = errstr(errno);
	for (; dfd >= 0 && n < depth; n++) {
		int next = -1, rc = mkdirat(dfd, "a", 0755);
		made += rc == 0;
		if ((rc < 0 && errno != EEXIST)
		    || (next = openat(dfd, "a", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			err = errstr(errno);
			break;
		}
		close(dfd);
		dfd = next;
	}
	if (dfd >= 0)
		close(dfd);
	addf("depth=%ld\ncreated=%ld\npath_bytes=%zu\npath_max=%d\nerror=%s\n", n, made, strlen(dir) + 2 * n,
	     PATH_MAX, err);
	reply();
}

static void oom(void)
{
	for (long mb = 1;; mb++) {
		char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			usleep(10000);
			continue;
		}
		memset(p, 0xa5, MIB);
		if (mb % 16 == 0)
			fprintf(stderr, "hostile: oom: %ld MiB\n", mb);
	}
}

static void partial(void)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf";
	write_all(out_fd, head, sizeof(head) - 1);
	kill(getpid(), SIGKILL);
	_exit(128 + SIGKILL); /* still here: PID 1 of its namespace ignores its own SIGKILL */
}

static void spawn(void)
{
	pid_t pid = fork();
	if (pid < 0) {
		addf("fork=%s\n", errstr(errno));
		reply();
	} else if (pid == 0) {
		setsid();
		sleep(atoi(arg("seconds", "6")));
		addf("late=1\n");
		reply();
	}
	_exit(0);
}

static const struct {
	const char *path;
	void (*run)(void);
} actions[] = {
	{ "/probe", probe }, { "/fill", fill }, { "/setuid", setuid_copy }, { "/symlink-swap", symlink_swap },
	{ "/chain", chain }, { "/oom", oom }, { "/partial", partial }, { "/spawn", spawn },
};

/* Reads the request head (at most 4 KiB) and returns its request target, split into path and args. */
static const char *read_request(char *buf, size_t size)
{
	size_t have = 0;
	buf[0] = '\0';
	while (have < size - 1 && !strstr(buf, "\r\n\r\n")) {
		ssize_t n = read(in_fd, buf + have, size - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += n;
		buf[have] = '\0';
	}
	char *target = strchr(buf, ' ');
	if (!target)
		return "/";
	target++;
	target[strcspn(target, " \r\n")] = '\0';
	char *query = strchr(target, '?');
	if (query) {
		*query++ = '\0';
		for (char *kv = strtok(query, "&"); kv && nargs < 16; kv = strtok(NULL, "&")) {
			char *eq = strchr(kv, '=');
			args[nargs].key = kv;
			args[nargs++].val = eq ? (*eq = '\0', eq + 1) : "";
		}
	}
	return target;
}

/*
 * A persistent-mode "SDK" that breaks the control protocol (hostile --control MODE, FAAS_MODE=persistent),
 * version 2 where it keeps to it ("HELLO 2 <pid> 1", hand-offs numbered from 1):
 *   never-ack    says HELLO, takes each descriptor and never answers: the pool must give up at its
 *                ACK deadline, remove the container, and not retry without bound.
 *   wrong-reply  answers hand-off n with "DONE 0 <n>" instead of ACK (an early DONE: it names the
 *                request just handed off, which has no RUN yet), and serves the client anyway.
 */
static int hostile_control(const char *how)
{
	const char *path = getenv("FAAS_CONTROL_SOCK");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!path || ctl < 0 || strlen(path) >= sizeof(addr.sun_path))
		return 1;
	strcpy(addr.sun_path, path);
	if (connect(ctl, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return 1;
	char hello[64];
	int n = snprintf(hello, sizeof(hello), "HELLO 2 %d 1\n", (int)getpid());
	if (write_all(ctl, hello, n) < 0)
		return 1;
	for (unsigned long req = 0;;) {
		char byte;
		struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int))];
		} cbuf;
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
				      .msg_controllen = sizeof(cbuf.buf) };
		if (recvmsg(ctl, &msg, 0) <= 0)
			return 0;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		if (!c || c->cmsg_type != SCM_RIGHTS)
			continue;
		int fd;
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
		req++; /* hand-offs are numbered from 1, as the pool numbers them */
		fprintf(stderr, "hostile: took a connection (%s)\n", how);
		if (strcmp(how, "wrong-reply") == 0) {
			char done[32];
			int len = snprintf(done, sizeof(done), "DONE 0 %lu\n", req);
			write_all(ctl, done, len);
			in_fd = out_fd = fd;
			static char request[4096];
			read_request(request, sizeof(request));
			body_len = 0;
			addf("served anyway\n");
			reply();
		}
		/* never-ack: keep the descriptor, say nothing */
	}
}

int main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "--control") == 0)
		return hostile_control(argv[2]);
	const char *env = getenv("FAAS_CLIENT_FD");
	if (!env) {
		fputs("hostile: FAAS_CLIENT_FD is not set\n", stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	in_fd = atoi(env);
	out_fd = in_fd == 0 ? 1 : in_fd;

	static char request[4096];
	const char *path = read_request(request, sizeof(request));
	fprintf(stderr, "hostile: %s\n", path);
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(path, actions[i].path) == 0) {
			actions[i].run();
			return 0;
		}
	if (strcmp(path, "/hang") == 0)
		for (;;)
			pause();
	if (strcmp(path, "/crash") == 0)
		abort();
	if (strcmp(path, "/exit") == 0)
		_exit(atoi(arg("code", "3")));
	addf("ok\n");
	reply();
	return 0;
}
