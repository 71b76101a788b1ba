package dev.faaspool.dispatch;

import java.io.FileDescriptor;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

/**
 * The Linux system calls of the dispatch path, through the FFM API: epoll, non-blocking accept,
 * peeking at a connection's first bytes, passing a descriptor with {@code SCM_RIGHTS}, and plain
 * reads, writes and closes on descriptors this process owns.
 *
 * <p>Every call returns its result, or {@code -errno} when it failed: no exception on the hot path.
 * Descriptors are plain ints; whoever holds one owns it and closes it exactly once.
 */
public final class Native {
    public static final int EPOLLIN = 0x001;
    public static final int EPOLLOUT = 0x004;
    public static final int EPOLLERR = 0x008;
    public static final int EPOLLHUP = 0x010;
    public static final int EPOLLRDHUP = 0x2000;
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EMFILE = 24;
    public static final int ENFILE = 23;
    public static final int ENOBUFS = 105;
    public static final int ENOMEM = 12;
    public static final int ECONNABORTED = 103;

    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLL_CTL_MOD = 3;
    private static final int O_CLOEXEC = 0x80000;
    private static final int O_NONBLOCK = 0x800;
    private static final int MSG_PEEK = 0x2;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final int SHUT_WR = 1;
    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;

    /** {@code struct epoll_event}: packed (12 bytes) on x86-64, naturally aligned (16) elsewhere. */
    static final boolean PACKED_EPOLL = System.getProperty("os.arch").matches("amd64|x86_64");
    public static final int EPOLL_EVENT_SIZE = PACKED_EPOLL ? 12 : 16;
    private static final long EPOLL_DATA_OFFSET = PACKED_EPOLL ? 4 : 8;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final AddressLayout PTR = ValueLayout.ADDRESS;

    private static final MethodHandle EPOLL_CREATE1 = call("epoll_create1", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle EPOLL_CTL = call("epoll_ctl", FunctionDescriptor.of(INT, INT, INT, INT, PTR));
    private static final MethodHandle EPOLL_WAIT = call("epoll_wait", FunctionDescriptor.of(INT, INT, PTR, INT, INT));
    private static final MethodHandle ACCEPT4 = call("accept4", FunctionDescriptor.of(INT, INT, PTR, PTR, INT));
    private static final MethodHandle RECV = call("recv", FunctionDescriptor.of(LONG, INT, PTR, LONG, INT));
    private static final MethodHandle READ = call("read", FunctionDescriptor.of(LONG, INT, PTR, LONG));
    private static final MethodHandle WRITE = call("write", FunctionDescriptor.of(LONG, INT, PTR, LONG));
    private static final MethodHandle SEND = call("send", FunctionDescriptor.of(LONG, INT, PTR, LONG, INT));
    private static final MethodHandle SENDMSG = call("sendmsg", FunctionDescriptor.of(LONG, INT, PTR, INT));
    private static final MethodHandle CLOSE = call("close", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle SHUTDOWN = call("shutdown", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle FCNTL = call("fcntl", FunctionDescriptor.of(INT, INT, INT, INT));
    private static final MethodHandle EVENTFD = call("eventfd", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle SOCKETPAIR = call("socketpair", FunctionDescriptor.of(INT, INT, INT, INT, PTR));
    private static final MethodHandle GETSOCKOPT =
            call("getsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, PTR));
    private static final MethodHandle SETSOCKOPT =
            call("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, PTR, INT));
    private static final MethodHandle GETPEERNAME = call("getpeername", FunctionDescriptor.of(INT, INT, PTR, PTR));
    private static final MethodHandle FD_VAL = fdVal();

    /** Per thread: the errno capture and a small scratch area (epoll_ctl's event, sendmsg's headers). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        final Arena arena = Arena.ofAuto();
        final MemorySegment errno = arena.allocate(CAPTURE);
        final MemorySegment event = arena.allocate(16, 8);
        final MemorySegment msg = arena.allocate(64, 8);
        final MemorySegment iov = arena.allocate(16, 8);
        final MemorySegment control = arena.allocate(24, 8);
        final MemorySegment one = arena.allocate(8, 8);
        /** A hand-off's bytes: its tag and, after a {@code T}, the 55 bytes of its trace context. */
        final MemorySegment handOff = arena.allocate(64, 8);
        final MemorySegment pair = arena.allocate(8, 8);
        final MemorySegment opt = arena.allocate(256, 8);
        final MemorySegment optLen = arena.allocate(4, 4);
    }

    private Native() {}

    private static MethodHandle call(String name, FunctionDescriptor fd) {
        MemorySegment sym = LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(sym, fd, Linker.Option.captureCallState("errno"));
    }

    private static MethodHandle fdVal() {
        try {
            Class<?> ioUtil = Class.forName("sun.nio.ch.IOUtil");
            return MethodHandles.lookup().findStatic(ioUtil, "fdVal", MethodType.methodType(int.class, FileDescriptor.class));
        } catch (ReflectiveOperationException | IllegalAccessError e) {
            return null;
        }
    }

    private static int errno(Scratch s) {
        return (int) ERRNO.get(s.errno, 0L);
    }

    private static int ret(Scratch s, int r) {
        return r < 0 ? -errno(s) : r;
    }

    private static long ret(Scratch s, long r) {
        return r < 0 ? -errno(s) : r;
    }

    private static RuntimeException fatal(Throwable t) {
        return t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }

    /** The number of a JDK {@link FileDescriptor}; needs {@code --add-exports java.base/sun.nio.ch}. */
    public static int fdOf(FileDescriptor fd) {
        if (FD_VAL == null) {
            throw new IllegalStateException("faas-pool needs the JVM option --add-exports=java.base/sun.nio.ch=ALL-UNNAMED");
        }
        try {
            return (int) FD_VAL.invokeExact(fd);
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    public static int epollCreate() {
        Scratch s = SCRATCH.get();
        try {
            return ret(s, (int) EPOLL_CREATE1.invokeExact(s.errno, O_CLOEXEC));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /** Watches {@code fd} for {@code events}, reported with {@code fd} as the event's data. */
    public static int epollAdd(int epfd, int fd, int events) {
        return epollCtl(epfd, EPOLL_CTL_ADD, fd, events);
    }

    public static int epollModify(int epfd, int fd, int events) {
        return epollCtl(epfd, EPOLL_CTL_MOD, fd, events);
    }

    public static int epollDelete(int epfd, int fd) {
        return epollCtl(epfd, EPOLL_CTL_DEL, fd, 0);
    }

    private static int epollCtl(int epfd, int op, int fd, int events) {
        Scratch s = SCRATCH.get();
        s.event.set(ValueLayout.JAVA_INT_UNALIGNED, 0, events);
        s.event.set(ValueLayout.JAVA_LONG_UNALIGNED, EPOLL_DATA_OFFSET, fd);
        try {
            return ret(s, (int) EPOLL_CTL.invokeExact(s.errno, epfd, op, fd, s.event));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /** Waits for events into {@code events} (room for {@code max}); returns how many, or -errno. */
    public static int epollWait(int epfd, MemorySegment events, int max, int timeoutMillis) {
        Scratch s = SCRATCH.get();
        try {
            return ret(s, (int) EPOLL_WAIT.invokeExact(s.errno, epfd, events, max, timeoutMillis));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    public static int eventMask(MemorySegment events, int i) {
        return events.get(ValueLayout.JAVA_INT_UNALIGNED, (long) i * EPOLL_EVENT_SIZE);
    }

    public static int eventFd(MemorySegment events, int i) {
        return (int) events.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) i * EPOLL_EVENT_SIZE + EPOLL_DATA_OFFSET);
    }

    /** Accepts a connection, non-blocking and close-on-exec; -EAGAIN when none is pending. */
    public static int accept(int listenFd) {
        Scratch s = SCRATCH.get();
        try {
            return ret(s, (int) ACCEPT4.invokeExact(s.errno, listenFd, MemorySegment.NULL, MemorySegment.NULL,
                    O_NONBLOCK | O_CLOEXEC));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /**
     * Looks at what a connection has received without consuming it: bytes available (> 0), 0 when the
     * peer closed with nothing unread, -EAGAIN when nothing has arrived yet, or another -errno (reset).
     */
    public static long peek(int fd, MemorySegment buf, long len) {
        Scratch s = SCRATCH.get();
        try {
            return ret(s, (long) RECV.invokeExact(s.errno, fd, buf, len, MSG_PEEK | MSG_DONTWAIT));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /**
     * Receives without blocking ({@code MSG_DONTWAIT}), whatever the descriptor's own flags: a client
     * connection's {@code O_NONBLOCK} is shared with the handler's copy, and its init clears it.
     */
    public static long receive(int fd, MemorySegment buf, long len) {
        Scratch s = SCRATCH.get();
        try {
            return ret(s, (long) RECV.invokeExact(s.errno, fd, buf, len, MSG_DONTWAIT));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /** Writes without blocking and without SIGPIPE; returns bytes written or -errno. */
    public static long send(int fd, MemorySegment buf, long len) {
        Scratch s = SCRATCH.get();
        try {
            return ret(s, (long) SEND.invokeExact(s.errno, fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /**
     * Sends the byte {@code tag} with descriptor {@code passed} as {@code SCM_RIGHTS} on the Unix socket
     * {@code fd}, without blocking; returns 1 or -errno.
     */
    public static long sendDescriptor(int fd, byte tag, int passed) {
        return sendDescriptor(fd, tag, null, passed);
    }

    /**
     * Sends the byte {@code tag}, then the ASCII {@code text} (none when null; at most 63 characters), in one
     * message with descriptor {@code passed} as {@code SCM_RIGHTS} on the Unix socket {@code fd}, without
     * blocking; returns the bytes sent (all of them: a message this small goes whole or not at all) or -errno.
     */
    public static long sendDescriptor(int fd, byte tag, String text, int passed) {
        Scratch s = SCRATCH.get();
        int len = 1;
        s.handOff.set(ValueLayout.JAVA_BYTE, 0, tag);
        if (text != null) {
            for (int i = 0; i < text.length(); i++) {
                s.handOff.set(ValueLayout.JAVA_BYTE, 1 + i, (byte) text.charAt(i));
            }
            len += text.length();
        }
        s.iov.set(ValueLayout.ADDRESS, 0, s.handOff);
        s.iov.set(ValueLayout.JAVA_LONG, 8, (long) len);
        s.control.fill((byte) 0);
        s.control.set(ValueLayout.JAVA_LONG, 0, 20L);          // cmsg_len = CMSG_LEN(sizeof(int))
        s.control.set(ValueLayout.JAVA_INT, 8, SOL_SOCKET);
        s.control.set(ValueLayout.JAVA_INT, 12, SCM_RIGHTS);
        s.control.set(ValueLayout.JAVA_INT, 16, passed);
        s.msg.fill((byte) 0);
        s.msg.set(ValueLayout.ADDRESS, 16, s.iov);              // msg_iov
        s.msg.set(ValueLayout.JAVA_LONG, 24, 1L);              // msg_iovlen
        s.msg.set(ValueLayout.ADDRESS, 32, s.control);          // msg_control
        s.msg.set(ValueLayout.JAVA_LONG, 40, 24L);             // msg_controllen = CMSG_SPACE(sizeof(int))
        try {
            return ret(s, (long) SENDMSG.invokeExact(s.errno, fd, s.msg, MSG_DONTWAIT | MSG_NOSIGNAL));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    public static int close(int fd) {
        Scratch s = SCRATCH.get();
        try {
            return ret(s, (int) CLOSE.invokeExact(s.errno, fd));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /** Sends FIN: this side writes no more. */
    public static int shutdownOutput(int fd) {
        Scratch s = SCRATCH.get();
        try {
            return ret(s, (int) SHUTDOWN.invokeExact(s.errno, fd, SHUT_WR));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /** A close-on-exec duplicate of {@code fd}. */
    public static int dup(int fd) {
        Scratch s = SCRATCH.get();
        try {
            return ret(s, (int) FCNTL.invokeExact(s.errno, fd, F_DUPFD_CLOEXEC, 3));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    public static int setNonBlocking(int fd) {
        Scratch s = SCRATCH.get();
        try {
            int flags = ret(s, (int) FCNTL.invokeExact(s.errno, fd, F_GETFL, 0));
            return flags < 0 ? flags : ret(s, (int) FCNTL.invokeExact(s.errno, fd, F_SETFL, flags | O_NONBLOCK));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /** An eventfd, non-blocking: the way into an epoll loop from other threads. */
    public static int eventFd() {
        Scratch s = SCRATCH.get();
        try {
            return ret(s, (int) EVENTFD.invokeExact(s.errno, 0, O_NONBLOCK | O_CLOEXEC));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /** Adds 1 to an eventfd's counter (wakes its epoll). */
    public static long signal(int eventFd) {
        Scratch s = SCRATCH.get();
        s.one.set(ValueLayout.JAVA_LONG, 0, 1L);
        try {
            return ret(s, (long) WRITE.invokeExact(s.errno, eventFd, s.one, 8L));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /** Resets an eventfd's counter. */
    public static void drainEventFd(int eventFd) {
        Scratch s = SCRATCH.get();
        try {
            long r = (long) READ.invokeExact(s.errno, eventFd, s.one, 8L);
            assert r == 8 || r < 0;
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /** A connected pair of Unix stream sockets, close-on-exec (tests, and fake inits). */
    public static int[] socketPair() {
        Scratch s = SCRATCH.get();
        try {
            int r = ret(s, (int) SOCKETPAIR.invokeExact(s.errno, AF_UNIX, SOCK_STREAM | O_CLOEXEC, 0, s.pair));
            if (r < 0) {
                throw new IllegalStateException("socketpair: errno " + -r);
            }
            return new int[] {s.pair.get(ValueLayout.JAVA_INT, 0), s.pair.get(ValueLayout.JAVA_INT, 4)};
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    public static int setIntOption(int fd, int level, int option, int value) {
        Scratch s = SCRATCH.get();
        s.opt.set(ValueLayout.JAVA_INT, 0, value);
        try {
            return ret(s, (int) SETSOCKOPT.invokeExact(s.errno, fd, level, option, s.opt, 4));
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /**
     * {@code getsockopt} into this thread's scratch area; returns the length the kernel wrote or
     * -errno. Read the result with {@link #option()} before the next call on this thread.
     */
    public static int getOption(int fd, int level, int option) {
        Scratch s = SCRATCH.get();
        s.optLen.set(ValueLayout.JAVA_INT, 0, (int) s.opt.byteSize());
        try {
            int r = ret(s, (int) GETSOCKOPT.invokeExact(s.errno, fd, level, option, s.opt, s.optLen));
            return r < 0 ? r : s.optLen.get(ValueLayout.JAVA_INT, 0);
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /**
     * {@code getpeername} into this thread's scratch area (a {@code sockaddr}); returns its length or
     * -errno. Read it with {@link #option()} before the next call on this thread ({@link PeerAddress}).
     */
    public static int peerName(int fd) {
        Scratch s = SCRATCH.get();
        s.optLen.set(ValueLayout.JAVA_INT, 0, (int) s.opt.byteSize());
        try {
            int r = ret(s, (int) GETPEERNAME.invokeExact(s.errno, fd, s.opt, s.optLen));
            return r < 0 ? r : s.optLen.get(ValueLayout.JAVA_INT, 0);
        } catch (Throwable t) {
            throw fatal(t);
        }
    }

    /** The result of this thread's last {@link #getOption} or {@link #peerName}. */
    public static MemorySegment option() {
        return SCRATCH.get().opt;
    }
}
