package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The persistent-mode SDKs (runtime-init/sdk/README.md) as a black box on the host: for each
 * language, its example echo handler (runtime-init/sdk/LANG/example/) runs against a control socket
 * of the test's own, which plays the pool's side of control protocol version 2 with real loopback TCP
 * connections. The handler answers {@code echo <line>} to a line, throws on the line {@code raise}, and
 * answers the line {@code traceparent} with {@code traceparent <value>}, the request's trace context as
 * its SDK's {@code traceparent(connection)} has it ({@code none} when the SDK says it has none); an
 * argument asks the SDK's API for at most that many connections at once.
 *
 * <p>{@link #buildTheSdks()} runs runtime-init/sdk/build.sh (idempotent) and {@code go build}s the Go
 * handler; the handlers run with the host's python3, node, go and a JDK 17 when there is one.
 */
class SdkConformanceIT {
    static final Path SDK = Path.of("runtime-init/sdk").toAbsolutePath();
    static final Path STAGED = Path.of(System.getProperty("faaspool.runtimeBuild", "target/runtime-init"))
            .toAbsolutePath().resolve("sdk");
    static final int TIMEOUT_SECONDS = 30;
    static final Pattern HELLO = Pattern.compile("HELLO 2 (\\d+) (\\d+) trace");
    /** Two valid traceparents (W3C Trace Context, version 00), of different traces. */
    static final String TRACE_A = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    static final String TRACE_B = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    /** How long a test waits to show that something does not happen. */
    static final long QUIET_MILLIS = 300;

    @TempDir
    static Path bin;

    enum Sdk {
        PYTHON, NODE, GO, JAVA;

        List<String> command() {
            return switch (this) {
                case PYTHON -> List.of("python3", SDK.resolve("python/example/echo.py").toString());
                case NODE -> List.of("node", SDK.resolve("node/example/echo.js").toString());
                case GO -> List.of(bin.resolve("go-echo").toString());
                case JAVA -> javaCommand(STAGED.resolve("java/faas-sdk.jar"), SDK.resolve("java/example/Echo.java"));
            };
        }

        /** The command with the example's argument: serve at most {@code max} connections at once. */
        List<String> command(int max) {
            List<String> cmd = new ArrayList<>(command());
            cmd.add(String.valueOf(max));
            return cmd;
        }

        Map<String, String> env() {
            return switch (this) {
                case PYTHON -> Map.of("PYTHONPATH", STAGED.resolve("python").toString());
                case NODE -> Map.of("NODE_PATH", STAGED.resolve("node").toString());
                case GO, JAVA -> Map.of();
            };
        }
    }

    @BeforeAll
    static void buildTheSdks() throws Exception {
        run(SDK.getParent().getParent(), List.of(SDK.resolve("build.sh").toString()), "runtime-init/sdk/build.sh");
        run(SDK.resolve("go"), List.of("go", "build", "-o", bin.resolve("go-echo").toString(), "./example/echo"),
                "go build (Go is Debian's golang-go)");
    }

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void oneProcessServesConnectionsOneAfterAnotherUntilThePoolCloses(Sdk sdk) throws Exception {
        Handler h = start(sdk);
        String pid = h.hello(1);
        long sockets = h.socketsOpen();
        for (int i = 0; i < 3; i++) {
            try (TcpPair tcp = new TcpPair()) {
                // The pool's copy may be non-blocking: the handler must get a blocking connection.
                tcp.server.configureBlocking(i != 1);
                tcp.clientWrite("request " + i + "\n");
                h.send(tcp.serverFd());
                assertEquals("ACK", h.line());
                assertEquals("RUN " + pid, h.line(), "the process that said HELLO runs every request");
                assertEquals("DONE 0 " + (i + 1), h.line(), "requests are numbered from 1");
                tcp.server.close(); // as the pool does after DONE: the client sees EOF if the SDK closed too
                assertEquals("echo request " + i + "\n", tcp.clientReadAll());
                assertEquals(sockets, h.socketsOpen(), "the SDK closed its descriptor of the connection");
            }
        }
        h.control.close();
        assertEquals(0, h.exit(), "the pool closing the control connection ends the handler: " + h.stderr());
        assertEquals(List.of(), h.stderr());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void aHandlerThatFailsEndsItsRequestWithDone1AndTheProcessServesOn(Sdk sdk) throws Exception {
        Handler h = start(sdk);
        String pid = h.hello(1);
        int request = 0;
        for (String line : List.of("raise", "after")) {
            request++;
            try (TcpPair tcp = new TcpPair()) {
                tcp.clientWrite(line + "\n");
                h.send(tcp.serverFd());
                assertEquals("ACK", h.line());
                assertEquals("RUN " + pid, h.line());
                assertEquals((line.equals("raise") ? "DONE 1 " : "DONE 0 ") + request, h.line());
                tcp.server.close();
                assertEquals(line.equals("raise") ? "" : "echo after\n", tcp.clientReadAll());
            }
        }
        h.control.close();
        assertEquals(0, h.exit());
        List<String> err = h.stderr();
        assertEquals(1, err.size(), "one line on stderr for the failed request: " + err);
        assertTrue(err.get(0).startsWith("faas-sdk: handler failed: ") && err.get(0).contains("asked to fail"),
                err.get(0));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void aMessageWithoutADescriptorIsRefusedAndEndsTheProcess(Sdk sdk) throws Exception {
        Handler h = start(sdk);
        h.hello(1);
        h.sendByte('F');
        assertEquals("FAIL nofd 0 message did not carry exactly one descriptor", h.line());
        assertEquals(1, h.exit());
        assertEquals(List.of("faas-sdk: message did not carry exactly one descriptor"), h.stderr());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void anUnknownMessageIsAProtocolError(Sdk sdk) throws Exception {
        Handler h = start(sdk);
        h.hello(1);
        try (TcpPair tcp = new TcpPair()) {
            h.control.setOutboundFileDescriptors(tcp.serverFd());
            h.sendByte('X');
            assertEquals("FAIL proto 0 unexpected message from the pool", h.line());
            assertEquals(1, h.exit());
            assertEquals(List.of("faas-sdk: unexpected message from the pool"), h.stderr());
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void aMissingControlSocketEndsTheProcessWithOneLine(Sdk sdk) throws Exception {
        Path missing = dir.resolve("missing.sock");
        Process p = spawn(sdk, missing);
        assertTrue(p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), sdk + " did not exit");
        assertEquals(1, p.exitValue());
        List<String> err = lines(dir.resolve("stderr"));
        assertEquals(1, err.size(), err.toString());
        assertTrue(err.get(0).startsWith("faas-sdk: connect to " + missing + ": ")
                && err.get(0).toLowerCase(Locale.ROOT).endsWith("no such file or directory"), err.get(0));
    }

    /**
     * {@code FAAS_CONCURRENCY=4}: HELLO announces 4, and the SDK takes a next connection while the
     * handlers before it still run. The echo handler blocks until its client sends a line, and no
     * client sends one before all four RUN lines are in, so four handlers run at once; ended in reverse
     * order, each DONE names its own request.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void withAConcurrencyOf4FourRequestsRunAtOnceAndEachDoneNamesItsRequest(Sdk sdk) throws Exception {
        Handler h = start(sdk.command(), env(sdk, "4"));
        String pid = h.hello(4);
        long sockets = h.socketsOpen();
        List<TcpPair> tcps = new ArrayList<>();
        try {
            for (int i = 1; i <= 4; i++) {
                TcpPair tcp = new TcpPair();
                tcps.add(tcp);
                h.send(tcp.serverFd()); // as the pool does: only after the last hand-off's RUN
                assertEquals("ACK", h.line(), "request " + i);
                assertEquals("RUN " + pid, h.line(), "request " + i);
            }
            for (int i = 4; i >= 1; i--) {
                TcpPair tcp = tcps.get(i - 1);
                tcp.clientWrite("request " + i + "\n");
                assertEquals("DONE 0 " + i, h.line(), "the handler that could end was request " + i + "'s");
                tcp.server.close();
                assertEquals("echo request " + i + "\n", tcp.clientReadAll());
            }
            assertEquals(sockets, h.socketsOpen(), "the SDK closed its descriptors of the connections");
        } finally {
            for (TcpPair tcp : tcps) {
                tcp.close();
            }
        }
        h.control.close();
        assertEquals(0, h.exit(), "the pool closing the control connection ends the handler: " + h.stderr());
        assertEquals(List.of(), h.stderr());
    }

    /**
     * Without FAAS_CONCURRENCY, HELLO announces 1 and the SDK receives nothing while its handler runs:
     * a second descriptor sent meanwhile (a pool that does not keep the count) stays unanswered until
     * the first request's DONE.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void withoutFaasConcurrencyOneRequestRunsAtATime(Sdk sdk) throws Exception {
        notMoreThanTheAnnouncedConcurrencyRuns(start(sdk), 1);
    }

    /** FAAS_CONCURRENCY=2: a third descriptor waits for one of the two running requests to end. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void withAConcurrencyOf2AThirdDescriptorWaitsForADone(Sdk sdk) throws Exception {
        notMoreThanTheAnnouncedConcurrencyRuns(start(sdk.command(), env(sdk, "2")), 2);
    }

    /**
     * FAAS_CONCURRENCY beyond what the program asked for through the SDK's API (the example's
     * argument): the smaller is announced; what is not a positive integer means 1; more than 1000 means
     * 1000.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void theAnnouncedConcurrencyIsFaasConcurrencyCappedByTheApiAndAt1000(Sdk sdk) throws Exception {
        record Case(String env, Integer max, int announced) {}
        List<Case> cases = List.of(
                new Case("4", 2, 2), new Case("3", 8, 3), new Case(null, 8, 1), new Case("", null, 1),
                new Case("0", null, 1), new Case("2x", null, 1), new Case("-2", null, 1), new Case("5000", null, 1000));
        for (Case c : cases) {
            Handler h = start(c.max() == null ? sdk.command() : sdk.command(c.max()), env(sdk, c.env()));
            h.hello(c.announced(), "FAAS_CONCURRENCY=" + c.env() + ", the API's at most " + c.max());
            h.control.close();
            assertEquals(0, h.exit(), c + ": " + h.stderr());
            assertEquals(List.of(), h.stderr(), c.toString());
            h.close();
        }
    }

    /**
     * EOF on the control connection while handlers run: the SDK receives no more, lets them finish
     * (their DONE has nowhere to go) and exits 0.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void atEofTheRunningHandlersFinishBeforeTheProcessExits(Sdk sdk) throws Exception {
        Handler h = start(sdk.command(), env(sdk, "2"));
        String pid = h.hello(2);
        try (TcpPair first = new TcpPair(); TcpPair second = new TcpPair()) {
            for (TcpPair tcp : List.of(first, second)) {
                h.send(tcp.serverFd());
                assertEquals("ACK", h.line());
                assertEquals("RUN " + pid, h.line());
                tcp.server.close(); // the handler's copy is the one left
            }
            h.control.close();
            Thread.sleep(QUIET_MILLIS);
            assertTrue(h.process.isAlive(), "the SDK exited with handlers running: " + h.stderr());
            for (TcpPair tcp : List.of(second, first)) {
                tcp.clientWrite("late\n");
                assertEquals("echo late\n", tcp.clientReadAll());
            }
        }
        assertEquals(0, h.exit(), "the handlers done, the handler exits 0: " + h.stderr());
        assertEquals(List.of(), h.stderr());
    }

    /**
     * A {@code T} hand-off: the handler finds the 55 bytes that came with its descriptor through
     * {@code traceparent(connection)}; after an {@code F} it finds none, not the request before's; a
     * {@code T} whose bytes arrive in two writes is read whole.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void aHandlerFindsItsRequestsTraceContextAndNoneAfterAnF(Sdk sdk) throws Exception {
        Handler h = start(sdk);
        String pid = h.hello(1);
        long sockets = h.socketsOpen();
        record Case(String trace, boolean split, String seen) {}
        List<Case> cases = List.of(new Case(TRACE_A, false, TRACE_A), new Case(null, false, "none"),
                new Case(TRACE_B, true, TRACE_B), new Case(null, false, "none"));
        int request = 0;
        for (Case c : cases) {
            request++;
            try (TcpPair tcp = new TcpPair()) {
                tcp.clientWrite("traceparent\n");
                if (c.trace() == null) {
                    h.send(tcp.serverFd());
                } else if (c.split()) {
                    h.sendSplit(tcp.serverFd(), "T" + c.trace(), 20);
                } else {
                    h.sendTrace(tcp.serverFd(), c.trace());
                }
                assertEquals("ACK", h.line(), c.toString());
                assertEquals("RUN " + pid, h.line(), c.toString());
                assertEquals("DONE 0 " + request, h.line(), c.toString());
                tcp.server.close();
                assertEquals("traceparent " + c.seen() + "\n", tcp.clientReadAll(), c.toString());
            }
        }
        assertEquals(sockets, h.socketsOpen(), "the SDK closed its descriptors of the connections");
        h.control.close();
        assertEquals(0, h.exit(), "the pool closing the control connection ends the handler: " + h.stderr());
        assertEquals(List.of(), h.stderr());
    }

    /**
     * With a concurrency of 2, two requests run at once, each with a trace context of its own: each
     * handler finds its own connection's, asked while the other still runs and after it ended; a
     * request after them, handed off with {@code F}, finds none.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void concurrentHandlersEachFindTheirOwnTraceContext(Sdk sdk) throws Exception {
        Handler h = start(sdk.command(), env(sdk, "2"));
        String pid = h.hello(2);
        try (TcpPair a = new TcpPair(); TcpPair b = new TcpPair(); TcpPair c = new TcpPair()) {
            h.sendTrace(a.serverFd(), TRACE_A);
            assertEquals("ACK", h.line());
            assertEquals("RUN " + pid, h.line());
            h.sendTrace(b.serverFd(), TRACE_B);
            assertEquals("ACK", h.line());
            assertEquals("RUN " + pid, h.line());
            // A asks while B, received after it, runs (not the latest context), B once A has ended (not
            // the first one, nor whichever is left).
            a.clientWrite("traceparent\n");
            assertEquals("DONE 0 1", h.line());
            a.server.close();
            assertEquals("traceparent " + TRACE_A + "\n", a.clientReadAll());
            b.clientWrite("traceparent\n");
            assertEquals("DONE 0 2", h.line());
            b.server.close();
            assertEquals("traceparent " + TRACE_B + "\n", b.clientReadAll());

            c.clientWrite("traceparent\n");
            h.send(c.serverFd());
            assertEquals("ACK", h.line());
            assertEquals("RUN " + pid, h.line());
            assertEquals("DONE 0 3", h.line());
            c.server.close();
            assertEquals("traceparent none\n", c.clientReadAll());
        }
        h.control.close();
        assertEquals(0, h.exit(), "the pool closing the control connection ends the handler: " + h.stderr());
        assertEquals(List.of(), h.stderr());
    }

    /**
     * 55 bytes after a {@code T} that are not a version-00 traceparent as the pool sends it (lower-case
     * hex, neither id all zeros), or fewer than 55 before EOF, are a protocol error: FAIL, one line on
     * stderr, exit 1; the handler never runs.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Sdk.class)
    void aMalformedTraceContextIsAProtocolError(Sdk sdk) throws Exception {
        List<String> malformed = List.of(
                TRACE_A.toUpperCase(Locale.ROOT),
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
                TRACE_A.substring(0, 30)); // then EOF
        for (String trace : malformed) {
            Handler h = start(sdk);
            h.hello(1);
            try (TcpPair tcp = new TcpPair()) {
                // Nothing for the client to send: unread, it would make the last close a reset.
                if (trace.length() == TRACE_A.length()) {
                    h.sendTrace(tcp.serverFd(), trace);
                } else {
                    h.sendSplit(tcp.serverFd(), "T" + trace, 1 + trace.length());
                    h.control.getChannel().shutdownOutput(); // EOF within the message
                }
                assertEquals("FAIL proto 0 bad trace context", h.line(), trace);
                assertEquals(1, h.exit(), trace);
                assertEquals(List.of("faas-sdk: bad trace context"), h.stderr(), trace);
                tcp.server.close();
                assertEquals("", tcp.clientReadAll(), "no handler ran for " + trace);
            }
            h.close();
        }
    }

    /**
     * Hands off {@code n} connections whose handlers block, then one more, which must not be received
     * while the {@code n} run; ending request 1 lets it in.
     */
    private void notMoreThanTheAnnouncedConcurrencyRuns(Handler h, int n) throws Exception {
        String pid = h.hello(n);
        List<TcpPair> tcps = new ArrayList<>();
        try {
            for (int i = 1; i <= n + 1; i++) {
                TcpPair tcp = new TcpPair();
                tcps.add(tcp);
                h.send(tcp.serverFd());
                if (i <= n) {
                    assertEquals("ACK", h.line(), "request " + i);
                    assertEquals("RUN " + pid, h.line(), "request " + i);
                }
            }
            Thread.sleep(QUIET_MILLIS);
            assertEquals(0, h.available(), "the SDK answered a hand-off beyond its concurrency of " + n);
            tcps.get(0).clientWrite("request 1\n");
            assertEquals("DONE 0 1", h.line());
            assertEquals("ACK", h.line(), "request " + (n + 1) + " is received once request 1 ended");
            assertEquals("RUN " + pid, h.line());
            tcps.get(0).server.close();
            assertEquals("echo request 1\n", tcps.get(0).clientReadAll());
            for (int i = 2; i <= n + 1; i++) {
                TcpPair tcp = tcps.get(i - 1);
                tcp.clientWrite("request " + i + "\n");
                assertEquals("DONE 0 " + i, h.line());
                tcp.server.close();
                assertEquals("echo request " + i + "\n", tcp.clientReadAll());
            }
        } finally {
            for (TcpPair tcp : tcps) {
                tcp.close();
            }
        }
        h.control.close();
        assertEquals(0, h.exit(), "the pool closing the control connection ends the handler: " + h.stderr());
        assertEquals(List.of(), h.stderr());
    }

    /** An SDK's environment with FAAS_CONCURRENCY set to {@code concurrency} (unset when null). */
    private static Map<String, String> env(Sdk sdk, String concurrency) {
        Map<String, String> env = new HashMap<>(sdk.env());
        if (concurrency != null) {
            env.put("FAAS_CONCURRENCY", concurrency);
        }
        return env;
    }

    /** The Python SDK's serve_http: an http.server.BaseHTTPRequestHandler subclass per connection. */
    @Test
    void pythonServeHttpRunsABaseHttpRequestHandlerOnEachConnection() throws Exception {
        Handler h = start(List.of("python3", SDK.resolve("python/example/http_hello.py").toString()), Sdk.PYTHON.env());
        String pid = h.hello(1);
        int request = 0;
        for (String path : List.of("/", "/raise", "/again")) {
            request++;
            try (TcpPair tcp = new TcpPair()) {
                tcp.clientWrite("GET " + path + " HTTP/1.0\r\nHost: fn\r\n\r\n");
                h.send(tcp.serverFd());
                assertEquals("ACK", h.line());
                assertEquals("RUN " + pid, h.line());
                assertEquals((path.equals("/raise") ? "DONE 1 " : "DONE 0 ") + request, h.line());
                tcp.server.close();
                String response = tcp.clientReadAll();
                if (path.equals("/raise")) {
                    assertEquals("", response);
                } else {
                    assertTrue(response.startsWith("HTTP/1.0 200 OK\r\n"), response);
                    assertTrue(response.endsWith("\r\n\r\nHello from a persistent Python function!\n"), response);
                }
            }
        }
        h.control.close();
        assertEquals(0, h.exit());
    }

    // --- harness ---

    /** A handler process and the control connection it made to the test. */
    private final class Handler {
        final Process process;
        final AFUNIXSocket control;

        Handler(Process process, AFUNIXSocket control) {
            this.process = process;
            this.control = control;
        }

        /** Reads HELLO and returns its pid, which must be the handler's own; the concurrency it announces is checked. */
        String hello(int concurrency) throws IOException {
            return hello(concurrency, "HELLO announces the concurrency");
        }

        String hello(int concurrency, String what) throws IOException {
            String line = line();
            Matcher m = HELLO.matcher(line);
            assertTrue(m.matches(), line);
            assertEquals(String.valueOf(process.pid()), m.group(1), "HELLO carries the handler's pid");
            assertEquals(String.valueOf(concurrency), m.group(2), what + ": " + line);
            return m.group(1);
        }

        /** The bytes the handler wrote that no line() has read yet. */
        int available() throws IOException {
            return control.getInputStream().available();
        }

        /** Ends the handler process and closes the test's side (for a test that starts several). */
        void close() throws Exception {
            process.destroyForcibly();
            control.close();
        }

        String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            InputStream in = control.getInputStream();
            int b;
            try {
                while ((b = in.read()) != '\n') {
                    if (b < 0) {
                        throw new IOException("EOF after '" + sb + "'; stderr: " + stderr());
                    }
                    sb.append((char) b);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no line within " + TIMEOUT_SECONDS + " s (after '" + sb + "'); stderr: "
                        + stderr(), e);
            }
            return sb.toString();
        }

        void send(FileDescriptor fd) throws IOException {
            control.setOutboundFileDescriptors(fd);
            sendByte('F');
        }

        /** Hands off {@code fd} with {@code T} and {@code traceparent}: one write, as the pool does. */
        void sendTrace(FileDescriptor fd, String traceparent) throws IOException {
            assertEquals(55, traceparent.length(), traceparent);
            sendSplit(fd, "T" + traceparent, 56);
        }

        /**
         * Writes {@code message} with {@code fd} attached in two writes, the first {@code first} bytes
         * long (the whole message when it is that long), a pause between them: a stream may split a
         * message so.
         */
        void sendSplit(FileDescriptor fd, String message, int first) throws IOException {
            byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
            OutputStream out = control.getOutputStream();
            control.setOutboundFileDescriptors(fd);
            out.write(bytes, 0, Math.min(first, bytes.length));
            out.flush();
            if (first < bytes.length) {
                try {
                    Thread.sleep(QUIET_MILLIS / 3);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted between the writes", e);
                }
                out.write(bytes, first, bytes.length - first);
                out.flush();
            }
        }

        void sendByte(int b) throws IOException {
            control.getOutputStream().write(b);
            control.getOutputStream().flush();
        }

        /** How many sockets the handler process has open (Linux /proc). */
        long socketsOpen() throws IOException {
            try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(process.pid()), "fd"))) {
                return fds.filter(fd -> {
                    try {
                        return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                    } catch (IOException e) {
                        return false; // closed meanwhile
                    }
                }).count();
            }
        }

        int exit() throws InterruptedException {
            assertTrue(process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "the handler did not exit");
            return process.exitValue();
        }

        List<String> stderr() {
            try {
                return lines(dir.resolve("stderr"));
            } catch (IOException e) {
                return List.of("(stderr unreadable: " + e + ")");
            }
        }
    }

    private Handler start(Sdk sdk) throws IOException {
        return start(sdk.command(), sdk.env());
    }

    private Handler start(List<String> command, Map<String, String> env) throws IOException {
        Path path = dir.resolve("control-" + processes.size() + ".sock"); // a test may start several
        AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(path));
        open.add(server);
        Process p = spawn(command, env, path);
        server.setSoTimeout(TIMEOUT_SECONDS * 1000);
        AFUNIXSocket control = server.accept();
        open.add(control);
        control.setSoTimeout(TIMEOUT_SECONDS * 1000);
        return new Handler(p, control);
    }

    private Process spawn(Sdk sdk, Path controlSocket) throws IOException {
        return spawn(sdk.command(), sdk.env(), controlSocket);
    }

    /** Starts a handler with its stderr in dir/stderr (read once it has exited). */
    private Process spawn(List<String> command, Map<String, String> env, Path controlSocket) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("FAAS_") || k.startsWith("LISTEN_"));
        pb.environment().putAll(env);
        pb.environment().put("FAAS_CONTROL_SOCK", controlSocket.toString());
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectError(dir.resolve("stderr").toFile());
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /**
     * Runs a single-file Java handler against the SDK jar: with the JDK 17 the containers have when the
     * host has it too, else with the JDK running the tests.
     */
    private static List<String> javaCommand(Path sdkJar, Path source) {
        Path jdk17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(jdk17)) {
            cmd.add(jdk17.toString());
        } else {
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            if (Runtime.version().feature() >= 22) {
                cmd.add("--enable-native-access=ALL-UNNAMED"); // junixsocket loads its JNI library
            }
        }
        cmd.addAll(List.of("-cp", sdkJar.toString(), source.toString()));
        return cmd;
    }

    private static void run(Path workDir, List<String> command, String what) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().put("GOTOOLCHAIN", "local");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException(what + " could not start: " + e.getMessage(), e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), what + " did not finish");
        assertEquals(0, p.exitValue(), what + " failed:\n" + output);
    }

    private static List<String> lines(Path file) throws IOException {
        return Files.exists(file) ? Files.readAllLines(file) : List.of();
    }
}
