package dev.faaspool.sdk;

import java.io.File;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * The faas-pool persistent-mode SDK for Java (17 and later): a handler process takes client
 * connections from the pool in a loop, so the JVM's start and class loading leave the request path.
 *
 * <p>Speaks control protocol version 2 ({@code runtime-init/PROTOCOL.md}, "persistent"; the contract
 * shared by every SDK is {@code runtime-init/sdk/README.md}): {@link #serve(Handler)} connects to
 * {@code $FAAS_CONTROL_SOCK} (default {@code /control.sock}), says
 * {@code HELLO 2 <pid> <concurrency> trace}, then takes client connections -- the byte {@code F}
 * carrying one descriptor ({@code SCM_RIGHTS}, received with junixsocket), or {@code T} and the
 * request's 55-byte W3C {@code traceparent} with it -- answering {@code ACK} and {@code RUN <pid>} for
 * each, runs the handler on it, closes it and says {@code DONE 0 <n>} ({@code DONE 1 <n>} if the
 * handler threw), {@code n} numbering the requests from 1. While a handler runs,
 * {@link #traceparent(Socket)} of its socket is its request's trace context.
 *
 * <p>Up to {@code <concurrency>} handlers run at once, on a pool of as many platform threads:
 * {@code $FAAS_CONCURRENCY} (1 when unset or not a positive integer, at most {@link #MAX_CONCURRENCY}),
 * or fewer with {@link #serve(Handler, int)}. With a concurrency of 1 the handler runs on the calling
 * thread, one connection after another.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *     Faas.serve(socket -> socket.getOutputStream().write("HTTP/1.0 200 OK\r\n\r\nhello\n".getBytes()));
 * }
 * }</pre>
 */
public final class Faas {
    /** The control protocol version this SDK speaks. */
    public static final int PROTOCOL_VERSION = 2;
    /** The most connections an SDK serves at once, whatever {@code $FAAS_CONCURRENCY} asks for. */
    public static final int MAX_CONCURRENCY = 1000;
    /** Where the control socket is when {@code $FAAS_CONTROL_SOCK} is unset or empty. */
    public static final String DEFAULT_CONTROL_SOCK = "/control.sock";

    private static final int MAX_LINE = 128; // bytes, with the newline (PROTOCOL.md)
    private static final int ANCILLARY_BUFFER = 256; // room to notice, and close, extra descriptors
    /** {@code T} and a traceparent (PROTOCOL.md, Trace context): the most one message has. */
    private static final int TRACE_MESSAGE = 56;
    /** A traceparent of version 00 as the pool sends it: lower-case hex, neither id all zeros. */
    private static final Pattern TRACEPARENT =
            Pattern.compile("00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");

    /**
     * The trace context of each connection whose handler runs, by its socket (sockets compare by
     * identity): an entry lives while the handler does, read by whichever thread the handler asks on.
     */
    private static final Map<Socket, String> TRACES = new ConcurrentHashMap<>();

    /** junixsocket's switch to load its JNI library from a file instead of extracting it to /tmp. */
    private static final String LIBRARY_OVERRIDE = "org.newsclub.net.unix.library.override";

    static {
        // A function container's /tmp is mounted noexec, where junixsocket's extracted library cannot
        // load: use the one the SDK ships in lib/ next to faas-sdk.jar, unless told otherwise.
        if (System.getProperty(LIBRARY_OVERRIDE) == null) {
            try {
                File jar = new File(Faas.class.getProtectionDomain().getCodeSource().getLocation().toURI());
                File lib = new File(jar.getParentFile(), "lib/libjunixsocket-native.so");
                if (lib.isFile()) {
                    System.setProperty(LIBRARY_OVERRIDE, lib.getPath());
                }
            } catch (java.net.URISyntaxException | RuntimeException e) {
                // Not loaded from a jar on a file system: junixsocket finds its library itself.
            }
        }
    }

    private final AFUNIXSocket control;
    private final InputStream in;
    private final OutputStream out;
    /** A line could not be written: the pool closed the control connection (see receive()). */
    private boolean controlLost; // guarded by this, as writeLine is

    private Faas(AFUNIXSocket control) throws IOException {
        this.control = control;
        this.in = control.getInputStream();
        this.out = control.getOutputStream();
    }

    /**
     * Serves client connections from the pool with {@code handler}, up to {@code $FAAS_CONCURRENCY} at
     * once (1 when unset, empty or not a positive integer; at most {@link #MAX_CONCURRENCY}).
     *
     * <p>The handler gets the client's TCP connection as a blocking {@link Socket}; the SDK closes it
     * after the handler returns or throws. With a concurrency above 1 the handler runs on several
     * threads at once: state it shares needs locking. An exception from the handler ends that request
     * with {@code DONE 1 <n>} and one line on stderr; the SDK serves on.
     *
     * <p>Returns when the pool closes the control connection, once the handlers still running have
     * returned. A control-socket or protocol failure is reported to the pool as
     * {@code FAIL <stage> <errno> <text>} and ends the JVM with exit code 1, after one line on stderr
     * prefixed {@code faas-sdk:}.
     *
     * @param handler called for each connection
     */
    public static void serve(Handler handler) {
        serve(handler, MAX_CONCURRENCY);
    }

    /**
     * {@link #serve(Handler)} for a handler that serves at most {@code maxConcurrency} connections at
     * once: the SDK serves the smaller of that and {@code $FAAS_CONCURRENCY} at once.
     *
     * @param handler called for each connection
     * @param maxConcurrency the most connections the handler serves at once; below 1 counts as 1
     */
    public static void serve(Handler handler, int maxConcurrency) {
        String env = System.getenv("FAAS_CONTROL_SOCK");
        String path = env == null || env.isEmpty() ? DEFAULT_CONTROL_SOCK : env;
        Faas faas;
        try {
            AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(new File(path)));
            socket.setAncillaryReceiveBufferSize(ANCILLARY_BUFFER);
            faas = new Faas(socket);
        } catch (IOException e) {
            throw exit("connect to " + path + ": " + reason(e));
        }
        try {
            faas.loop(handler, Math.min(concurrency(System.getenv("FAAS_CONCURRENCY")), Math.max(1, maxConcurrency)));
        } finally {
            faas.closeControl();
        }
    }

    /**
     * The W3C {@code traceparent} of the request on {@code socket}, the socket a handler was given,
     * while that handler runs: 55 characters, {@code 00-<trace id>-<parent id>-<flags>}, which the
     * handler's own spans take as their parent.
     *
     * @param socket the handler's connection
     * @return the request's traceparent, or null when the request came without one (or {@code socket}
     *     is no running handler's connection)
     */
    public static String traceparent(Socket socket) {
        return socket == null ? null : TRACES.get(socket);
    }

    /**
     * The concurrency {@code $FAAS_CONCURRENCY} asks for: a positive decimal integer, at most
     * {@link #MAX_CONCURRENCY}; anything else (null included) means 1.
     */
    static int concurrency(String value) {
        if (value == null || !value.matches("[0-9]+")) {
            return 1;
        }
        String digits = value.replaceFirst("^0+", "");
        if (digits.length() > 4) {
            return MAX_CONCURRENCY;
        }
        return digits.isEmpty() ? 1 : Math.min(Integer.parseInt(digits), MAX_CONCURRENCY);
    }

    private void closeControl() {
        try {
            control.close();
        } catch (IOException e) {
            // the pool is gone either way
        }
    }

    private void loop(Handler handler, int concurrency) {
        long pid = ProcessHandle.current().pid();
        send("HELLO " + PROTOCOL_VERSION + " " + pid + " " + concurrency + " trace", "HELLO");
        // A permit per running handler: the receiver takes one before it receives, so it never
        // receives while all of them run, however many descriptors the pool sends.
        Semaphore slots = new Semaphore(concurrency);
        ExecutorService threads = concurrency == 1 ? null : Executors.newFixedThreadPool(concurrency, handlerThreads());
        try {
            for (long request = 1; ; request++) {
                slots.acquireUninterruptibly();
                Connection connection = receive();
                if (connection == null) { // the pool is done with this container: let the handlers finish
                    slots.release();
                    slots.acquireUninterruptibly(concurrency);
                    return;
                }
                send("ACK\nRUN " + pid, "ACK"); // two lines, one write (PROTOCOL.md)
                long n = request;
                if (threads == null) {
                    run(handler, connection, n, slots);
                } else {
                    threads.execute(() -> run(handler, connection, n, slots));
                }
            }
        } finally {
            if (threads != null) {
                threads.shutdown();
            }
        }
    }

    /** Runs the handler on one connection, closes it, says DONE and frees the handler's permit. */
    private void run(Handler handler, Connection connection, long request, Semaphore slots) {
        int status = 1;
        if (connection.traceparent() != null) {
            TRACES.put(connection.socket(), connection.traceparent());
        }
        try {
            handler.handle(connection.socket());
            status = 0;
        } catch (Exception e) {
            log("handler failed: " + e);
        } finally {
            TRACES.remove(connection.socket()); // the request is over: its context goes with it
            connection.close();
            try {
                writeLine("DONE " + status + " " + request);
            } catch (IOException e) {
                // the pool went away: the receiver sees it
            }
            slots.release();
        }
    }

    /** Daemon platform threads, faas-handler-1 and on: a JVM that exits does not wait for them. */
    private static ThreadFactory handlerThreads() {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread t = new Thread(task, "faas-handler-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * A client connection: the socket the handler gets, the descriptor it was cast from, and the
     * request's traceparent (null after an {@code F}).
     */
    private record Connection(Socket socket, FileDescriptor fd, String traceparent) {
        /**
         * Closes the socket, which shuts the connection down but leaves the descriptor open
         * (junixsocket 2.10 does not close descriptors it did not create), then the descriptor.
         */
        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // the descriptor still goes
            }
            if (fd.valid()) {
                closeAll(new FileDescriptor[] {fd});
            }
        }
    }

    /**
     * Blocks for the next client connection, as a blocking socket, or null when the pool closed the
     * control connection. Descriptors beyond the first are closed; a protocol failure ends the JVM.
     */
    private Connection receive() {
        byte[] message = new byte[TRACE_MESSAGE];
        int length;
        FileDescriptor[] fds;
        try {
            length = in.read(message); // one recvmsg: the ancillary data arrives with the first byte
            // A stream may split the 56 bytes of a T; the pool sends nothing more before our RUN.
            while (length > 0 && message[0] == 'T' && length < message.length) {
                int more = in.read(message, length, message.length - length);
                if (more < 0) {
                    break; // EOF within the message: too short, so malformed below
                }
                length += more;
            }
            fds = control.getReceivedFileDescriptors();
        } catch (IOException e) {
            if (controlLost()) {
                // junixsocket closes a socket a write failed on ("Broken pipe"), so the read that
                // would have seen the pool's EOF fails "Not open": the pool is done all the same.
                return null;
            }
            throw fail("recv", "recvmsg", reason(e));
        }
        int count = fds == null ? 0 : fds.length;
        if (length < 0) {
            closeAll(fds);
            return null;
        }
        String trace = null;
        if (message[0] == 'T') {
            trace = new String(message, 1, length - 1, StandardCharsets.US_ASCII);
            if (!TRACEPARENT.matcher(trace).matches()) {
                closeAll(fds);
                throw fail("proto", "bad trace context", null);
            }
        } else if (message[0] != 'F' || length != 1) {
            closeAll(fds);
            throw fail("proto", "unexpected message from the pool", null);
        }
        if (count != 1) {
            closeAll(fds);
            throw fail("nofd", "message did not carry exactly one descriptor", null);
        }
        try {
            // A descriptor of its own: junixsocket closes what it received with the control socket, which
            // it closes itself when a write fails (a DONE after the pool left), under running handlers.
            FileDescriptor own = FileDescriptorCast.duplicating(fds[0]).as(FileDescriptor.class);
            closeAll(fds);
            // junixsocket makes the socket blocking, as a java.net.Socket expects.
            return new Connection(FileDescriptorCast.using(own).as(Socket.class), own, trace);
        } catch (IOException | RuntimeException e) {
            closeAll(fds);
            throw fail("recv", "the client descriptor", reason(e));
        }
    }

    private static void closeAll(FileDescriptor[] fds) {
        if (fds == null) {
            return;
        }
        for (FileDescriptor fd : fds) {
            try {
                FileDescriptorCast.using(fd).as(FileInputStream.class).close();
            } catch (IOException | RuntimeException e) {
                // nothing more to do with it
            }
        }
    }

    /** Writes one line in one write; lines from several handler threads go out whole, in turn. */
    private synchronized void writeLine(String line) throws IOException {
        byte[] bytes = line.getBytes(StandardCharsets.US_ASCII);
        byte[] framed = Arrays.copyOf(bytes, Math.min(bytes.length, MAX_LINE - 1) + 1);
        framed[framed.length - 1] = '\n';
        try {
            out.write(framed);
            out.flush();
        } catch (IOException e) {
            controlLost = true; // before the lock is free, so a read the closed socket failed sees it
            throw e;
        }
    }

    private synchronized boolean controlLost() {
        return controlLost;
    }

    private void send(String line, String what) {
        try {
            writeLine(line);
        } catch (IOException e) {
            throw exit("send " + what + ": " + reason(e));
        }
    }

    /**
     * Reports a failure to the pool as {@code FAIL <stage> 0 <reason>} (best effort: Java does not
     * tell the errno) and ends the JVM with exit code 1 after one line on stderr, {@code what} and, when
     * given, {@code why}. Returns an error for callers to throw, so the compiler sees the path end.
     */
    private Error fail(String stage, String what, String why) {
        try {
            writeLine("FAIL " + stage + " 0 " + (why != null ? why : what));
        } catch (IOException e) {
            // best effort
        }
        return exit(why != null ? what + ": " + why : what);
    }

    /** Ends the JVM with exit code 1 after one line on stderr; returns an error for callers to throw. */
    private static Error exit(String line) {
        log(line);
        System.exit(1);
        return new AssertionError("unreachable");
    }

    private static String reason(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getName();
    }

    private static void log(String text) {
        System.err.println("faas-sdk: " + String.join(" ", text.trim().split("\\s+")));
        System.err.flush();
    }
}
