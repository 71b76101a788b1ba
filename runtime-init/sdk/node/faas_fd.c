/*
 * faas_fd: the two system calls the faas-pool Node.js SDK (faas-sdk.js) cannot make in JavaScript,
 * as an N-API addon (ABI-stable: the same binary loads in every Node.js release with N-API 8).
 *
 *   connect(path)  -> fd        a blocking, close-on-exec AF_UNIX stream connection to the pool
 *   recvFd(ctlFd)  -> {byte, fd, rest}
 *                  BLOCKS for the next message of control protocol version 2
 *                  (runtime-init/PROTOCOL.md): byte is the message byte, or -1 at EOF; fd is the
 *                  descriptor it carried when it carried exactly one (made blocking and
 *                  close-on-exec), else -1 with every descriptor closed; rest is what came after the
 *                  byte, as a latin1 string, all 55 bytes of a 'T' (read on until they are in, or EOF).
 *                  The SDK judges the bytes.
 *
 * Errors are thrown as Error("<step>: <strerror>") with the properties errno and strerror.
 * Build: gcc -shared -fPIC -O2 -Wall -Wextra -I/usr/include/node -o faas_fd.node faas_fd.c
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 4 /* room to notice, and close, descriptors beyond the one expected */
#define MAX_MESSAGE 56 /* 'T' and a traceparent (PROTOCOL.md, Trace context): the most one message has */

/* Throws Error("<what>: <strerror(err)>") with .errno and .strerror; returns NULL for the caller. */
static napi_value throw_errno(napi_env env, const char *what, int err)
{
	char text[512];
	const char *reason = strerror(err);
	snprintf(text, sizeof(text), "%s: %s", what, reason);
	napi_value msg, error, num, str;
	if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg) != napi_ok ||
	    napi_create_error(env, NULL, msg, &error) != napi_ok ||
	    napi_create_int32(env, err, &num) != napi_ok ||
	    napi_create_string_utf8(env, reason, NAPI_AUTO_LENGTH, &str) != napi_ok ||
	    napi_set_named_property(env, error, "errno", num) != napi_ok ||
	    napi_set_named_property(env, error, "strerror", str) != napi_ok ||
	    napi_throw(env, error) != napi_ok)
		napi_throw_error(env, NULL, text); /* the plain Error is still better than none */
	return NULL;
}

/* Throws a TypeError (or the pending exception a failed N-API call left); returns NULL. */
static napi_value throw_type(napi_env env, const char *text)
{
	bool pending = false;
	if (napi_is_exception_pending(env, &pending) != napi_ok || !pending)
		napi_throw_type_error(env, NULL, text);
	return NULL;
}

/* The single int argument of a call, in *out; 0 on success, -1 with an exception thrown. */
static int int_arg(napi_env env, napi_callback_info info, const char *usage, int *out)
{
	size_t argc = 1;
	napi_value argv[1];
	napi_valuetype type;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
	    napi_typeof(env, argv[0], &type) != napi_ok || type != napi_number ||
	    napi_get_value_int32(env, argv[0], out) != napi_ok) {
		throw_type(env, usage);
		return -1;
	}
	return 0;
}

static napi_value js_connect(napi_env env, napi_callback_info info)
{
	size_t argc = 1, len = 0;
	napi_value argv[1];
	napi_valuetype type;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
	    napi_typeof(env, argv[0], &type) != napi_ok || type != napi_string ||
	    napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok)
		return throw_type(env, "connect(path): path must be a string");
	if (len >= sizeof(addr.sun_path))
		return throw_errno(env, "connect: control socket path too long", ENAMETOOLONG);
	if (napi_get_value_string_utf8(env, argv[0], addr.sun_path, sizeof(addr.sun_path), &len) != napi_ok)
		return throw_type(env, "connect(path): path must be a string");

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return throw_errno(env, "socket", errno);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;
		char what[sizeof(addr.sun_path) + 16];
		snprintf(what, sizeof(what), "connect to %s", addr.sun_path);
		close(fd);
		return throw_errno(env, what, err);
	}
	napi_value result;
	if (napi_create_int32(env, fd, &result) != napi_ok) {
		close(fd);
		return throw_type(env, "connect: cannot return the descriptor");
	}
	return result;
}

static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

static napi_value js_recv_fd(napi_env env, napi_callback_info info)
{
	int ctl;
	if (int_arg(env, info, "recvFd(ctlFd): ctlFd must be a descriptor number", &ctl) < 0)
		return NULL;

	unsigned char buf[MAX_MESSAGE];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
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
		return throw_errno(env, "recvmsg", errno);

	int fds[MAX_FDS];
	size_t count = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && count < MAX_FDS; i++)
			memcpy(&fds[count++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}

	/* A stream may split the 56 bytes of a T; the pool sends nothing more before the RUN. */
	size_t len = (size_t)n;
	while (len > 0 && buf[0] == 'T' && len < sizeof(buf)) {
		ssize_t k;
		do
			k = recv(ctl, buf + len, sizeof(buf) - len, 0);
		while (k < 0 && errno == EINTR);
		if (k < 0) {
			int err = errno;
			close_all(fds, count);
			return throw_errno(env, "recvmsg", err);
		}
		if (k == 0)
			break; /* EOF within the message: too short, which the SDK refuses */
		len += (size_t)k;
	}

	int fd = -1;
	if (count == 1 && !(msg.msg_flags & MSG_CTRUNC)) {
		fd = fds[0];
		int flags = fcntl(fd, F_GETFL);
		if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
			int err = errno;
			close(fd);
			return throw_errno(env, "fcntl on the client descriptor", err);
		}
	} else {
		close_all(fds, count);
	}

	napi_value result, jbyte, jfd, jrest;
	if (napi_create_object(env, &result) != napi_ok ||
	    napi_create_int32(env, len == 0 ? -1 : buf[0], &jbyte) != napi_ok ||
	    napi_create_int32(env, fd, &jfd) != napi_ok ||
	    napi_create_string_latin1(env, (const char *)buf + 1, len == 0 ? 0 : len - 1, &jrest) != napi_ok ||
	    napi_set_named_property(env, result, "byte", jbyte) != napi_ok ||
	    napi_set_named_property(env, result, "fd", jfd) != napi_ok ||
	    napi_set_named_property(env, result, "rest", jrest) != napi_ok) {
		if (fd >= 0)
			close(fd);
		return throw_type(env, "recvFd: cannot return the result");
	}
	return result;
}

NAPI_MODULE_INIT()
{
	napi_property_descriptor props[] = {
		{ "connect", NULL, js_connect, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "recvFd", NULL, js_recv_fd, NULL, NULL, NULL, napi_enumerable, NULL },
	};
	if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok)
		return NULL;
	return exports;
}
