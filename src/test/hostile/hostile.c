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
 *   /linger?seconds=6       answers pid=<child pid> and exits; the child (setsid, the connection
 *                           closed, 0 and 1 on /dev/null: it holds nothing) sleeps seconds, then
 *                           writes "pid=<its pid>" to /tmp/lingered: a process that outlives its
 *                           request unseen, and leaves a mark for the next one.
 *   /secret-write?value=s3cret
 *                           writes value to /tmp/secret and /dev/shm/secret (created 0644, truncated):
 *                           /tmp/secret=written=1 and /dev/shm/secret=written=1, or the error.
 *   /secret-read            what a request before this one left: /tmp/secret=<contents>,
 *                           /dev/shm/secret=<contents>, /tmp/lingered=<contents>, each at most 256
 *                           bytes, or the error ("ENOENT (...)": nothing left).
 *   /spy                    the other processes of the container: others=<n>, then for each
 *                           /proc/<pid> other than its own and PID 1's a line
 *                           "proc=<pid> mem=<r> environ=<r> comm=<comm>": whether open(2) of its
 *                           /proc/<pid>/mem and reading its /proc/<pid>/environ worked (ok or the
 *                           errno's name), comm last (unprintable bytes as '?').
 *   /ptrace1                ptrace_attach=, mem_open=, mem_read=: ptrace(PTRACE_ATTACH, 1) (detached
 *                           again when it worked), open(2) of /proc/1/mem, and a pread of 16 bytes of
 *                           it at the start of PID 1's first mapping in /proc/1/maps (ok (16 bytes)).
 *                           What a handler can do to its init.
 *   /syscalls               a line name=ok or name=<errno name> (e.g. ptrace=EPERM) per system call
 *                           that a sandbox should refuse or a seccomp profile decides, made raw
 *                           (syscall(2)), harmless when allowed (undone, or in a child): ptrace
 *                           (PTRACE_TRACEME, in a child), process_vm_readv (of itself), io_uring_setup,
 *                           perf_event_open (a software clock, user space only), userfaultfd, keyctl
 *                           (the session keyring's id), add_key (a user key, invalidated again),
 *                           request_key (ENOKEY when allowed), bpf (an array map), unshare
 *                           (CLONE_NEWUSER, in a child), mount (a tmpfs on /tmp, unmounted again),
 *                           memfd_create, personality (READ_IMPLIES_EXEC, put back), clone3 (a
 *                           fork-like child that exits at once; Docker's profile says ENOSYS),
 *                           kexec_load (with an invalid architecture: EINVAL means permitted),
 *                           open_by_handle_at (a zero handle on /: EPERM, or ESTALE and the like when
 *                           permitted).
 *   /spin?seconds=10&threads=4
 *                           burns CPU in threads threads (at most 64) for seconds of wall time, then
 *                           answers threads= (those that ran; at the pids limit pthread_create=
 *                           says why not more), wall_ms=, cpu_ms= (user+system of the whole
 *                           process) and share= (cpu_ms / wall_ms / threads, 1.00 when every thread
 *                           had a CPU): spin first, answer after, so the answer says how much CPU
 *                           it got.
 *   anything else (/ok)     "ok".
 *
 * hostile --control never-ack|wrong-reply: in persistent mode, a handler that speaks the control
 * protocol itself and breaks it (see hostile_control): the dispatcher's bounded, safe re-dispatch.
 *
 * Test convenience: FAAS_CLIENT_FD=0 reads the request from stdin and answers on stdout, for
 * `printf 'GET /probe HTTP/1.1\r\n\r\n' | docker run -i --entrypoint /hostile ...`.
 * A handler that is PID 1 of its container (oneshot mode) ignores signals it has no handler for and
 * takes every process with it when it exits: /partial then exits 137 by itself, /crash dies of
 * SIGSEGV (musl's abort() falls back to a crashing instruction), /spawn's and /linger's children die
 * with it. In fork mode with FAAS_ISOLATION=request the init kills them when the handler exits, and
 * empties /tmp and /dev/shm: /secret-read and /spy then find nothing of an earlier request.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
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
		N(EFAULT), N(EAGAIN), N(ENODEV), N(E2BIG), N(ENFILE), N(ENOTTY), N(EOPNOTSUPP),
		N(ENOKEY), N(EKEYREVOKED), N(ESTALE), N(EOVERFLOW), N(ECHILD), N(ENXIO),
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

/* The name alone, e.g. "EPERM" ("errno<n>" for one not in the table). */
static const char *errname(int err)
{
	static char buf[96];
	const char *full = errstr(err);
	size_t n = strcspn(full, " ");
	if (strncmp(full, "E?", n) == 0)
		snprintf(buf, sizeof(buf), "errno%d", err);
	else
		snprintf(buf, sizeof(buf), "%.*s", (int)n, full);
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

/* /trace: the trace context the init handed this request (TRACEPARENT), or "none". */
static void trace(void)
{
	const char *tp = getenv("TRACEPARENT");
	addf("traceparent=%s\n", tp ? tp : "none");
	reply();
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

	const char *mounts[] = { dir, "/tmp", "/dev/shm", NULL };
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

static void linger(void)
{
	pid_t pid = fork();
	if (pid < 0) {
		addf("fork=%s\n", errstr(errno));
		reply();
	} else if (pid == 0) {
		setsid();
		close(in_fd);
		if (out_fd != in_fd)
			close(out_fd);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC); /* with FAAS_STDIO, 0 and 1 are the connection */
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) {
			close(0);
			close(1);
		}
		for (unsigned left = atoi(arg("seconds", "6")); left;)
			left = sleep(left);
		int fd = open("/tmp/lingered", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || dprintf(fd, "pid=%d", (int)getpid()) < 0)
			fprintf(stderr, "hostile: linger: /tmp/lingered: %s\n", strerror(errno));
		_exit(0);
	} else {
		addf("pid=%d\n", (int)pid);
		reply();
	}
	_exit(0);
}

static const char *const secrets[] = { "/tmp/secret", "/dev/shm/secret" };

static void secret_write(void)
{
	const char *value = arg("value", "s3cret");
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		int fd = open(secrets[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write_all(fd, value, strlen(value)) < 0)
			addf("%s=%s\n", secrets[i], errstr(errno));
		else
			addf("%s=written=1\n", secrets[i]);
		if (fd >= 0)
			close(fd);
	}
	reply();
}

/* Unprintable bytes, and so newlines, as '?': one answer line per value. */
static char *printable(char *s)
{
	for (char *c = s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			*c = '?';
	return s;
}

/* path=<its first 256 bytes>, or path=<the error>. */
static void add_file(const char *path)
{
	char buf[257];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		addf("%s=%s\n", path, errstr(errno));
	} else {
		buf[n] = '\0';
		addf("%s=%s\n", path, printable(buf));
	}
	if (fd >= 0)
		close(fd);
}

static void secret_read(void)
{
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		add_file(secrets[i]);
	add_file("/tmp/lingered");
	reply();
}

/* "ok" when open(2) of path and, with readit, a read(2) worked, else the errno's name. */
static const char *can_read(const char *path, int readit)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	const char *r = fd < 0 || (readit && read(fd, buf, sizeof(buf)) < 0) ? errname(errno) : "ok";
	if (fd >= 0)
		close(fd);
	return r;
}

static void spy(void)
{
	static char lines[12288];
	size_t len = 0;
	int others = 0;
	DIR *d = opendir("/proc");
	if (!d) {
		addf("others=n/a (/proc: %s)\n", errstr(errno));
		reply();
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		if (strspn(e->d_name, "0123456789") != strlen(e->d_name))
			continue;
		int pid = atoi(e->d_name);
		if (pid == 1 || pid == getpid())
			continue;
		char path[64], comm[64] = "?", mem[32], environ[32];
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, comm, sizeof(comm) - 1);
		if (n > 0) {
			comm[n] = '\0';
			comm[strcspn(comm, "\n")] = '\0';
			printable(comm);
		}
		if (fd >= 0)
			close(fd);
		snprintf(path, sizeof(path), "/proc/%d/mem", pid);
		snprintf(mem, sizeof(mem), "%s", can_read(path, 0));
		snprintf(path, sizeof(path), "/proc/%d/environ", pid);
		snprintf(environ, sizeof(environ), "%s", can_read(path, 1));
		others++;
		int w = snprintf(lines + len, sizeof(lines) - len, "proc=%d mem=%s environ=%s comm=%s\n", pid, mem,
				 environ, comm);
		if (w > 0 && (size_t)w < sizeof(lines) - len)
			len += w;
	}
	closedir(d);
	addf("others=%d\n%s", others, lines);
	reply();
}

static void ptrace1(void)
{
	long rc = ptrace(PTRACE_ATTACH, 1, 0, 0);
	addf("ptrace_attach=%s\n", st(rc));
	if (rc == 0) {
		waitpid(1, NULL, __WALL);
		ptrace(PTRACE_DETACH, 1, 0, 0);
	}
	int fd = open("/proc/1/mem", O_RDONLY | O_CLOEXEC);
	addf("mem_open=%s\n", st(fd));
	if (fd < 0) {
		addf("mem_read=n/a (no descriptor)\n");
		reply();
		return;
	}
	unsigned long start = 0;
	FILE *maps = fopen("/proc/1/maps", "re");
	if (!maps || fscanf(maps, "%lx-", &start) != 1) {
		addf("mem_read=n/a (/proc/1/maps: %s)\n", maps ? "no mapping" : errstr(errno));
	} else {
		char buf[16];
		ssize_t n = pread(fd, buf, sizeof(buf), (off_t)start);
		if (n < 0)
			addf("mem_read=%s\n", errstr(errno));
		else
			addf("mem_read=ok (%zd bytes)\n", n);
	}
	if (maps)
		fclose(maps);
	close(fd);
	reply();
}

/* name=ok or name=<errno name> for a call's result (rc < 0: failed with errno). */
static void outcome(const char *name, long rc)
{
	addf("%s=%s\n", name, rc < 0 ? errname(errno) : "ok");
}

/* Runs call in a child, which exits 0 when it worked and with its errno when not; the outcome as above. */
static void in_child(const char *name, long (*call)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(call() < 0 ? errno : 0);
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		addf("%s=fork: %s\n", name, errname(errno));
	else if (WIFEXITED(status))
		addf("%s=%s\n", name, WEXITSTATUS(status) ? errname(WEXITSTATUS(status)) : "ok");
	else
		addf("%s=signal%d\n", name, WTERMSIG(status));
}

static long traceme(void)
{
	return syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
}

static long new_user_ns(void)
{
	return syscall(SYS_unshare, CLONE_NEWUSER);
}

#define KEY_SPEC_SESSION_KEYRING (-3)
#define KEYCTL_GET_KEYRING_ID 0
#define KEYCTL_INVALIDATE 21

static void syscalls(void)
{
	in_child("ptrace", traceme);

	char src[16] = "process_vm_read", dst[16];
	struct iovec local = { dst, sizeof(dst) }, remote = { src, sizeof(src) };
	outcome("process_vm_readv", syscall(SYS_process_vm_readv, getpid(), &local, 1, &remote, 1, 0));

	unsigned char uring[120] = { 0 }; /* struct io_uring_params, zero: the kernel fills it */
	long fd = syscall(SYS_io_uring_setup, 1, uring);
	outcome("io_uring_setup", fd);
	if (fd >= 0)
		close(fd);

	/* struct perf_event_attr, version 0 (64 bytes): PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK,
	 * disabled, exclude_kernel, exclude_hv: what perf_event_paranoid 2 still lets anyone open. */
	union { unsigned char b[64]; unsigned long long align; } attr = { { 0 } };
	unsigned type = 1, size = sizeof(attr.b);
	unsigned long long flags = 1 | 1 << 5 | 1 << 6;
	memcpy(attr.b, &type, 4);
	memcpy(attr.b + 4, &size, 4);
	memcpy(attr.b + 40, &flags, 8);
	fd = syscall(SYS_perf_event_open, attr.b, 0, -1, -1, 8 /* PERF_FLAG_FD_CLOEXEC */);
	outcome("perf_event_open", fd);
	if (fd >= 0)
		close(fd);

	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	outcome("userfaultfd", fd);
	if (fd >= 0)
		close(fd);

	outcome("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
	long key = syscall(SYS_add_key, "user", "faas-hostile", "x", 1, KEY_SPEC_SESSION_KEYRING);
	outcome("add_key", key);
	if (key >= 0)
		syscall(SYS_keyctl, KEYCTL_INVALIDATE, key);
	outcome("request_key", syscall(SYS_request_key, "user", "faas-hostile-absent", NULL, 0));

	unsigned bpf_attr[12] = { 2 /* BPF_MAP_TYPE_ARRAY */, 4, 4, 1 }; /* key, value size; entries */
	fd = syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, bpf_attr, sizeof(bpf_attr));
	outcome("bpf", fd);
	if (fd >= 0)
		close(fd);

	in_child("unshare", new_user_ns);

	long rc = syscall(SYS_mount, "hostile", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16k");
	outcome("mount", rc);
	if (rc == 0)
		syscall(SYS_umount2, "/tmp", MNT_DETACH);

	fd = syscall(SYS_memfd_create, "hostile", 1 /* MFD_CLOEXEC */);
	outcome("memfd_create", fd);
	if (fd >= 0)
		close(fd);

	long persona = syscall(SYS_personality, 0xffffffffUL); /* a query: Docker's profile allows it */
	rc = syscall(SYS_personality, 0x0400000UL);             /* READ_IMPLIES_EXEC */
	outcome("personality", rc);
	if (rc >= 0 && persona >= 0)
		syscall(SYS_personality, (unsigned long)persona);

	/* struct clone_args, version 0 (64 bytes): flags 0 and SIGCHLD, as fork() */
	unsigned long long cargs[8] = { 0, 0, 0, 0, SIGCHLD, 0, 0, 0 };
	rc = syscall(SYS_clone3, cargs, sizeof(cargs));
	if (rc == 0)
		_exit(0); /* the child, a copy of this process: gone at once */
	outcome("clone3", rc);
	if (rc > 0)
		waitpid(rc, NULL, 0);

	outcome("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0x7fff0000UL)); /* no such architecture */

	struct { unsigned bytes; int type; unsigned char handle[8]; } handle = { 8, 1, { 0 } };
	int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = syscall(SYS_open_by_handle_at, root, &handle, O_RDONLY | O_CLOEXEC);
	outcome("open_by_handle_at", fd);
	if (fd >= 0)
		close(fd);
	if (root >= 0)
		close(root);
	reply();
}

static struct timespec spin_end;

static double ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1e3 + (now.tv_nsec - t->tv_nsec) / 1e6;
}

static void *spin_thread(void *arg)
{
	(void)arg;
	volatile unsigned long x = 0;
	while (ms_since(&spin_end) < 0)
		for (int i = 0; i < 10000; i++)
			x += i;
	return NULL;
}

static void spin(void)
{
	int threads = atoi(arg("threads", "4")), started = 0;
	double seconds = strtod(arg("seconds", "10"), NULL);
	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	if (!(seconds >= 0))
		seconds = 0;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	spin_end = start;
	spin_end.tv_sec += (time_t)seconds;
	spin_end.tv_nsec += (long)((seconds - (time_t)seconds) * 1e9);
	if (spin_end.tv_nsec >= 1000000000L) {
		spin_end.tv_sec++;
		spin_end.tv_nsec -= 1000000000L;
	}
	pthread_t ids[64];
	int err = 0;
	for (; started < threads - 1; started++) /* and this thread */
		if ((err = pthread_create(&ids[started], NULL, spin_thread, NULL)) != 0)
			break;
	spin_thread(NULL);
	for (int i = 0; i < started; i++)
		pthread_join(ids[i], NULL);
	double wall = ms_since(&start);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	addf("threads=%d\nwall_ms=%.0f\ncpu_ms=%.0f\nshare=%.2f\n", started + 1, wall, cpu,
	     wall > 0 ? cpu / wall / (started + 1) : 0);
	if (err)
		addf("pthread_create=%s\n", errstr(err));
	reply();
}

static const struct {
	const char *path;
	void (*run)(void);
} actions[] = {
	{ "/probe", probe }, { "/fill", fill }, { "/setuid", setuid_copy }, { "/symlink-swap", symlink_swap },
	{ "/chain", chain }, { "/oom", oom }, { "/partial", partial }, { "/spawn", spawn },
	{ "/linger", linger }, { "/secret-write", secret_write }, { "/secret-read", secret_read },
	{ "/spy", spy }, { "/ptrace1", ptrace1 }, { "/syscalls", syscalls }, { "/spin", spin },
	{ "/trace", trace },
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
