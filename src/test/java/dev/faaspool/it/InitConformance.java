package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The conformance suite of every faas-init implementation, run as a black box on the host against a
 * control socket of the test's own: exit codes, one-line errors, its side of control protocol
 * version 2 in each mode, and the handler conventions (runtime-init/PROTOCOL.md). Each implementation
 * is a subclass naming the command that runs it.
 */
abstract class InitConformance {
    static final Path BUILD = Path.of(System.getProperty("faaspool.runtimeBuild", "target/runtime-init"));

    /** The command that runs this init, before the handler's argv. */
    abstract List<String> initCommand();

    /**
     * Whether the init runs under qemu-user, on a host of another architecture (Arm64InitConformance).
     * The checks that depend on what qemu-user does not do as a kernel of the init's architecture would
     * are skipped there, each saying why: qemu-user runs clone(CLONE_VM | CLONE_VFORK) as a plain fork.
     */
    boolean underEmulation() {
        return false;
    }

    /**
     * Whether fork mode can run here. Not for the Go init under qemu-user: it starts each handler by
     * re-executing its own (foreign) binary, which the host's kernel refuses (ENOEXEC) without a
     * binfmt_misc registration for qemu. A test that starts such an init in fork mode with a control
     * socket (to hand it connections) is skipped.
     */
    boolean forkModeRuns() {
        return true;
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

    @Test
    void withoutACommandPrintsUsageAndExits2() throws Exception {
        Process p = init(dir.resolve("none.sock"), Map.of());
        assertEquals(2, exit(p));
        assertOneLine(p, "usage: faas-init <command> [args...]");
    }

    @Test
    void anUnknownModeExits2() throws Exception {
        Process p = init(dir.resolve("none.sock"), Map.of("FAAS_MODE", "forking"), "/bin/true");
        assertEquals(2, exit(p));
        assertOneLine(p, "unknown FAAS_MODE 'forking'");
    }

    @Test
    void anUnknownIsolationExits2InEveryMode() throws Exception {
        for (String mode : List.of("oneshot", "fork", "persistent")) {
            Process p = init(dir.resolve("none.sock"), Map.of("FAAS_MODE", mode, "FAAS_ISOLATION", "per-request"),
                    "/bin/true");
            assertEquals(2, exit(p), mode + " mode");
            assertOneLine(p, "unknown FAAS_ISOLATION 'per-request'");
        }
    }

    /**
     * Request isolation (fork mode, {@code FAAS_ISOLATION=request}) kills every other process with
     * kill(-1) and empties /tmp and /dev/shm after each request: right for PID 1 of a container, and
     * the end of the machine anywhere else. Here, on the host, the init must refuse before it does
     * anything. (Its control socket does not exist either, so an init that failed to refuse would exit
     * 1 at connect, before any request.) The isolation itself is tested in containers only.
     */
    @Test
    void requestIsolationRefusesToStartUnlessItIsPid1() throws Exception {
        Process p = init(dir.resolve("none.sock"), Map.of("FAAS_MODE", "fork", "FAAS_ISOLATION", "request"),
                "/bin/true");
        assertEquals(2, exit(p));
        assertEquals(List.of("faas-init: isolation: request needs faas-init to be PID 1 of its container"),
                stderrLines(p));
    }

    @Test
    void containerIsolationIsForkModeAsBefore() throws Exception {
        for (String isolation : List.of("container", "")) {
            Control c = control("isolation-" + isolation + ".sock");
            Process p = init(c.path, Map.of("FAAS_MODE", "fork", "FAAS_ISOLATION", isolation), "sh", "-c", "exit 3");
            AFUNIXSocket s = c.accept();
            assertTrue(HELLO.matcher(c.line(s)).matches());
            for (int n = 1; n <= 2; n++) {
                try (TcpPair tcp = new TcpPair()) {
                    send(s, tcp.serverFd());
                    assertEquals("ACK", c.line(s));
                    assertTrue(c.line(s).startsWith("RUN "));
                    assertEquals("DONE 3 " + n, c.line(s), "FAAS_ISOLATION='" + isolation + "'");
                }
            }
            s.close();
            assertEquals(0, exit(p), String.join("\n", stderrLines(p)));
        }
    }

    /**
     * The init makes itself non-dumpable, so that a handler of its uid can neither ptrace it nor read
     * its memory or environment (/proc/&lt;pid&gt;/mem, environ); exec makes the handler dumpable again.
     * Seen from a fork-mode handler, with the init started by setpriv as root without capabilities
     * (CAP_SYS_PTRACE would pass the check): the init's environ is denied, the handler's, read by its
     * child, is not; nor, for comparison, is an ordinary parent's under the same setpriv.
     */
    @Test
    void theInitIsNotDumpableButItsHandlersAre() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        String parent = "cat /proc/$PPID/environ >/dev/null 2>&1 && echo readable || echo denied";
        Process plain = start(concat(NO_CAPS, List.of("sh", "-c", "sh -c '" + parent + "'")), Map.of());
        assertEquals(0, exit(plain));
        assertEquals("readable\n", new String(plain.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                "without capabilities, a dumpable parent's environ can be read");

        Control c = control();
        Process p = start(concat(NO_CAPS, initCommand(), List.of("sh", "-c",
                        "init=$(" + parent + "); handler=$(sh -c '" + parent + "'); echo \"init=$init handler=$handler\" >&3")),
                Map.of("FAAS_CONTROL_SOCK", c.path.toString(), "FAAS_MODE", "fork"));
        AFUNIXSocket s = c.accept();
        c.line(s);
        try (TcpPair tcp = new TcpPair()) {
            send(s, tcp.serverFd());
            tcp.server.close();
            assertEquals("ACK", c.line(s));
            assertTrue(c.line(s).startsWith("RUN "));
            assertEquals("DONE 0 1", c.line(s));
            assertEquals("init=denied handler=readable\n", tcp.clientReadAll());
        }
        s.close();
        assertEquals(0, exit(p), String.join("\n", stderrLines(p)));
    }

    @Test
    void aMissingControlSocketExits1WithOneLine() throws Exception {
        Path sock = dir.resolve("missing.sock");
        Process p = init(sock, Map.of(), "/bin/true");
        assertEquals(1, exit(p));
        assertOneLine(p, "connect to " + sock + ": No such file or directory");
    }

    @Test
    void theControlSocketDefaultsToSlashControlSock() throws Exception {
        List<String> cmd = new ArrayList<>(initCommand());
        cmd.add("/bin/true");
        Process p = start(cmd, Map.of());
        assertEquals(1, exit(p));
        assertOneLine(p, "connect to /control.sock: No such file or directory");
    }

    @Test
    void saysHelloWithProtocolVersionPidConcurrencyOneAndTrace() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of(), "/bin/true");
        AFUNIXSocket s = c.accept();
        String line = c.line(s);
        Matcher hello = HELLO.matcher(line);
        assertTrue(hello.matches(), line);
        assertEquals(p.pid(), Long.parseLong(hello.group(1)), "the init's own pid");
        s.close();
        assertEquals(1, exit(p), "the pool went away before sending a descriptor");
        assertOneLine(p, "control socket closed before a descriptor arrived");
    }

    @Test
    void aMessageWithoutADescriptorIsRefused() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of(), "/bin/true");
        AFUNIXSocket s = c.accept();
        c.line(s);
        s.getOutputStream().write('F');
        assertEquals("FAIL nofd 0 message did not carry exactly one descriptor", c.line(s));
        assertEquals(1, exit(p));
        assertOneLine(p, "message did not carry exactly one descriptor");
    }

    @Test
    void aMessageWithTwoDescriptorsIsRefused() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of(), "/bin/true");
        try (TcpPair one = new TcpPair(); TcpPair two = new TcpPair()) {
            AFUNIXSocket s = c.accept();
            c.line(s);
            s.setOutboundFileDescriptors(one.serverFd(), two.serverFd());
            s.getOutputStream().write('F');
            assertEquals("FAIL nofd 0 message did not carry exactly one descriptor", c.line(s));
            assertEquals(1, exit(p));
            assertOneLine(p, "message did not carry exactly one descriptor");
        }
    }

    @Test
    void aByteOtherThanFIsAProtocolError() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of(), "/bin/true");
        try (TcpPair tcp = new TcpPair()) {
            AFUNIXSocket s = c.accept();
            c.line(s);
            s.setOutboundFileDescriptors(tcp.serverFd());
            s.getOutputStream().write('X');
            assertEquals("FAIL proto 0 unexpected message from the pool", c.line(s));
            assertEquals(1, exit(p));
            assertOneLine(p, "unexpected message from the pool");
        }
    }

    @Test
    void aHandlerThatDoesNotExistExits127AfterTheAck() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of(), "/no/such/handler");
        try (TcpPair tcp = new TcpPair()) {
            AFUNIXSocket s = c.accept();
            c.line(s);
            send(s, tcp.serverFd());
            assertEquals("ACK", c.line(s));
            assertEquals("FAIL exec 2 No such file or directory", c.line(s));
            assertEquals(127, exit(p));
            assertOneLine(p, "exec /no/such/handler: No such file or directory");
        }
    }

    @Test
    void aHandlerThatCannotBeExecutedExits126() throws Exception {
        Path notExecutable = Files.writeString(dir.resolve("handler.txt"), "not a program\n");
        Control c = control();
        Process p = init(c.path, Map.of(), notExecutable.toString());
        try (TcpPair tcp = new TcpPair()) {
            AFUNIXSocket s = c.accept();
            c.line(s);
            send(s, tcp.serverFd());
            assertEquals("ACK", c.line(s));
            assertEquals("FAIL exec 13 Permission denied", c.line(s));
            assertEquals(126, exit(p));
        }
    }

    @Test
    void oneshotExecsTheHandlerOnABlockingDescriptorAtFd3AndNothingElse() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of(), "python3", "-c", REPORTER);
        try (TcpPair tcp = new TcpPair()) {
            tcp.server.configureBlocking(false); // as a pool's socket may be; the init must clear it
            AFUNIXSocket s = c.accept();
            Matcher hello = HELLO.matcher(c.line(s));
            assertTrue(hello.matches());
            send(s, tcp.serverFd());
            assertEquals("ACK", c.line(s));
            assertEquals(-1, s.getInputStream().read(), "the control connection closes when the handler is exec'd");
            tcp.server.close(); // the pool's copy: the connection lives on in the handler
            assertEquals(0, exit(p), String.join("\n", stderrLines(p)));
            assertEquals("fd=3 blocking=True others=[] listen=1/" + hello.group(1) + "/connection stdio=False",
                    tcp.clientReadAll(), "the handler is the init's process, exec'd");
        }
    }

    @Test
    void inetdStyleGivesTheConnectionAsStdinAndStdout() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of("FAAS_STDIO", "1"), "sh", "-c", "read line; echo \"got $line\"");
        try (TcpPair tcp = new TcpPair()) {
            AFUNIXSocket s = c.accept();
            c.line(s);
            tcp.client.write(java.nio.ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.US_ASCII)));
            send(s, tcp.serverFd());
            assertEquals("ACK", c.line(s));
            tcp.server.close();
            assertEquals(0, exit(p));
            assertEquals("got hello\n", tcp.clientReadAll());
        }
    }

    @Test
    void forkModeServesConnectionsOneAfterAnotherAndReportsEachEnd() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of("FAAS_MODE", "fork"), "python3", "-c", REPORTER);
        AFUNIXSocket s = c.accept();
        Matcher hello = HELLO.matcher(c.line(s));
        assertTrue(hello.matches());
        List<String> handlerPids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            try (TcpPair tcp = new TcpPair()) {
                send(s, tcp.serverFd());
                tcp.server.close();
                assertEquals("ACK", c.line(s));
                Matcher run = Pattern.compile("RUN (\\d+)").matcher(c.line(s));
                assertTrue(run.matches());
                assertEquals("DONE 0 " + (i + 1), c.line(s));
                assertEquals("fd=3 blocking=True others=[] listen=1/" + run.group(1) + "/connection stdio=False",
                        tcp.clientReadAll(), "LISTEN_PID is the forked handler's");
                handlerPids.add(run.group(1));
            }
        }
        assertEquals(3, handlerPids.stream().distinct().count(), "a process per connection: " + handlerPids);
        assertTrue(p.isAlive(), "the init stays between connections");
        s.close();
        assertEquals(0, exit(p), "the pool closing the control connection ends fork mode");
    }

    @Test
    void forkModeReportsTheHandlersExitStatusAndAnExecFailure() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of("FAAS_MODE", "fork"), "sh", "-c", "exit 7");
        AFUNIXSocket s = c.accept();
        c.line(s);
        try (TcpPair tcp = new TcpPair()) {
            send(s, tcp.serverFd());
            assertEquals("ACK", c.line(s));
            assertTrue(c.line(s).startsWith("RUN "));
            assertEquals("DONE 7 1", c.line(s));
        }
        s.close();
        assertEquals(0, exit(p));

        assumeFalse(underEmulation(), "under qemu-user, clone(CLONE_VM | CLONE_VFORK) is a fork:"
                + " the child's exec errno does not reach the init, which reports RUN, then DONE 127");
        Control c2 = control("missing-handler.sock");
        Process q = init(c2.path, Map.of("FAAS_MODE", "fork"), "/no/such/handler");
        AFUNIXSocket s2 = c2.accept();
        c2.line(s2);
        for (int i = 0; i < 2; i++) {
            try (TcpPair tcp = new TcpPair()) {
                send(s2, tcp.serverFd());
                assertEquals("ACK", c2.line(s2));
                assertEquals("FAIL exec 2 No such file or directory", c2.line(s2));
                assertEquals("DONE 127 " + (i + 1), c2.line(s2));
            }
        }
        assertTrue(q.isAlive(), "an exec failure ends the request, not the init");
        s2.close();
        assertEquals(0, exit(q));
    }

    /**
     * Version 2: DONE names the request that ended, numbered by the order the descriptors arrived on
     * this control connection, from 1. Each handler here exits with its own request's number (a file
     * the test bumps), so a DONE that named the wrong request, or carried the wrong status, shows.
     */
    @Test
    void forkModeNumbersTheRequestsInDoneFromOne() throws Exception {
        Path counter = Files.writeString(dir.resolve("count"), "0");
        Control c = control();
        Process p = init(c.path, Map.of("FAAS_MODE", "fork"),
                "sh", "-c", "n=$(( $(cat \"$1\") + 1 )); echo $n > \"$1\"; exit $(( 40 + n ))", "sh", counter.toString());
        AFUNIXSocket s = c.accept();
        assertTrue(HELLO.matcher(c.line(s)).matches());
        for (int n = 1; n <= 3; n++) {
            try (TcpPair tcp = new TcpPair()) {
                send(s, tcp.serverFd());
                tcp.server.close();
                assertEquals("ACK", c.line(s));
                assertTrue(c.line(s).startsWith("RUN "));
                assertEquals("DONE " + (40 + n) + " " + n, c.line(s), "hand-off " + n);
            }
        }
        assertEquals("3", Files.readString(counter).strip(), "three handlers ran, one per hand-off");
        s.close();
        assertEquals(0, exit(p), String.join("\n", stderrLines(p)));
    }

    @Test
    void persistentModeExecsTheHandlerAtOnce() throws Exception {
        Process p = init(dir.resolve("unused.sock"), Map.of("FAAS_MODE", "persistent"),
                "sh", "-c", "echo \"$FAAS_CONTROL_SOCK\"; exit 5");
        assertEquals(5, exit(p), "the handler's own exit code: the init is gone");
        assertEquals(dir.resolve("unused.sock").toString() + "\n",
                new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /**
     * Trace context, oneshot mode: after a {@code T}, the handler's environment has exactly the
     * traceparent that came with its descriptor, once, replacing the one the init was started with.
     */
    @Test
    void oneshotGivesTheHandlerTheTraceContextOfItsDescriptor() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of("FAAS_STDIO", "1", "TRACEPARENT", STALE_TRACEPARENT), "env");
        try (TcpPair tcp = new TcpPair()) {
            AFUNIXSocket s = c.accept();
            assertTrue(HELLO.matcher(c.line(s)).matches());
            sendTraced(s, tcp.serverFd(), TRACEPARENT_1);
            tcp.server.close();
            assertEquals("ACK", c.line(s));
            assertEquals(-1, s.getInputStream().read(), "the handler was exec'd");
            assertEquals(0, exit(p), String.join("\n", stderrLines(p)));
            assertEquals(List.of("TRACEPARENT=" + TRACEPARENT_1), traceparents(tcp.clientReadAll()));
        }
    }

    /**
     * After an {@code F} the handler has no TRACEPARENT at all, not even the one in the init's own
     * environment: a stale trace context would be taken for the request's.
     */
    @Test
    void oneshotWithoutTraceContextGivesTheHandlerNoTraceparent() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of("FAAS_STDIO", "1", "TRACEPARENT", STALE_TRACEPARENT), "env");
        try (TcpPair tcp = new TcpPair()) {
            AFUNIXSocket s = c.accept();
            c.line(s);
            send(s, tcp.serverFd());
            tcp.server.close();
            assertEquals("ACK", c.line(s));
            assertEquals(0, exit(p), String.join("\n", stderrLines(p)));
            String env = tcp.clientReadAll();
            assertTrue(env.contains("FAAS_CLIENT_FD=3\n"), "the handler's environment came back: " + env);
            assertEquals(List.of(), traceparents(env));
        }
    }

    /**
     * Fork mode: each handler sees its own request's trace context or none, never one of an earlier
     * request (the init sets it per request, not in its own environment) nor the init's own.
     */
    @Test
    void forkModeGivesEachHandlerItsOwnTraceContextOrNone() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of("FAAS_MODE", "fork", "FAAS_STDIO", "1", "TRACEPARENT", STALE_TRACEPARENT),
                "env");
        AFUNIXSocket s = c.accept();
        assertTrue(HELLO.matcher(c.line(s)).matches());
        List<String> sent = java.util.Arrays.asList(TRACEPARENT_1, null, TRACEPARENT_2, null);
        for (int n = 1; n <= sent.size(); n++) {
            String traceparent = sent.get(n - 1);
            try (TcpPair tcp = new TcpPair()) {
                if (traceparent == null) {
                    send(s, tcp.serverFd());
                } else {
                    sendTraced(s, tcp.serverFd(), traceparent);
                }
                tcp.server.close();
                assertEquals("ACK", c.line(s));
                assertTrue(c.line(s).startsWith("RUN "));
                assertEquals("DONE 0 " + n, c.line(s));
                assertEquals(traceparent == null ? List.of() : List.of("TRACEPARENT=" + traceparent),
                        traceparents(tcp.clientReadAll()), "request " + n);
            }
        }
        s.close();
        assertEquals(0, exit(p), String.join("\n", stderrLines(p)));
    }

    /**
     * 55 bytes after a {@code T} that are not a version-00 traceparent in lower-case hex with non-zero
     * ids are a protocol error, in either mode; so is a pool that closes inside the 55 bytes.
     */
    @Test
    void aMalformedTraceContextIsAProtocolError() throws Exception {
        String zeros32 = "0".repeat(32);
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("upper-case hex", TRACEPARENT_1.toUpperCase(java.util.Locale.ROOT));
        bad.put("an all-zero trace id", "00-" + zeros32 + "-b7ad6b7169203331-01");
        bad.put("an all-zero parent id", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01");
        bad.put("underscores for dashes", TRACEPARENT_1.replace('-', '_'));
        bad.put("a dash moved", "00-0af7651916cd43dd8448eb211c80319-cb7ad6b7169203331-01");
        bad.put("version 01", "01" + TRACEPARENT_1.substring(2));
        bad.put("a letter past f", TRACEPARENT_1.replace('a', 'g'));
        bad.put("NULs", "\0".repeat(55));
        for (String mode : List.of("oneshot", "fork")) {
            for (Map.Entry<String, String> e : bad.entrySet()) {
                assertEquals(55, e.getValue().length(), e.getKey());
                String what = e.getKey() + ", " + mode + " mode";
                Control c = control(mode + "-" + e.getKey().replace(' ', '-') + ".sock");
                Process p = init(c.path, Map.of("FAAS_MODE", mode), "/bin/true");
                try (TcpPair tcp = new TcpPair()) {
                    AFUNIXSocket s = c.accept();
                    c.line(s);
                    sendTraced(s, tcp.serverFd(), e.getValue());
                    assertEquals("FAIL proto 0 bad trace context", c.line(s), what);
                    assertEquals(1, exit(p), what);
                    assertOneLine(p, "bad trace context");
                }
            }
        }

        Control c = control("truncated.sock");
        Process p = init(c.path, Map.of(), "/bin/true");
        try (TcpPair tcp = new TcpPair()) {
            AFUNIXSocket s = c.accept();
            c.line(s);
            s.setOutboundFileDescriptors(tcp.serverFd());
            s.getOutputStream().write(("T" + TRACEPARENT_1.substring(0, 20)).getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            s.close(); // EOF after 20 of the 55 bytes (so the FAIL line goes nowhere; stderr says it)
            assertEquals(1, exit(p));
            assertOneLine(p, "bad trace context");
        }
    }

    /**
     * The 56 bytes of a {@code T} come in one sendmsg, but a stream may split them: the init reads on
     * until it has all 55 bytes of the traceparent, and no further (the next hand-off is read whole).
     */
    @Test
    void aTraceContextSplitAcrossWritesIsReadWhole() throws Exception {
        Control c = control();
        Process p = init(c.path, Map.of("FAAS_MODE", "fork", "FAAS_STDIO", "1"), "env");
        AFUNIXSocket s = c.accept();
        c.line(s);
        try (TcpPair tcp = new TcpPair()) {
            s.setOutboundFileDescriptors(tcp.serverFd());
            s.getOutputStream().write(("T" + TRACEPARENT_1.substring(0, 20)).getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Thread.sleep(200); // the init is in its second recvmsg by now
            s.getOutputStream().write(TRACEPARENT_1.substring(20).getBytes(StandardCharsets.US_ASCII));
            tcp.server.close();
            assertEquals("ACK", c.line(s));
            assertTrue(c.line(s).startsWith("RUN "));
            assertEquals("DONE 0 1", c.line(s));
            assertEquals(List.of("TRACEPARENT=" + TRACEPARENT_1), traceparents(tcp.clientReadAll()));
        }
        try (TcpPair tcp = new TcpPair()) {
            sendTraced(s, tcp.serverFd(), TRACEPARENT_2);
            tcp.server.close();
            assertEquals("ACK", c.line(s));
            assertTrue(c.line(s).startsWith("RUN "));
            assertEquals("DONE 0 2", c.line(s));
            assertEquals(List.of("TRACEPARENT=" + TRACEPARENT_2), traceparents(tcp.clientReadAll()));
        }
        s.close();
        assertEquals(0, exit(p), String.join("\n", stderrLines(p)));
    }

    /**
     * The handler starts in the state the init itself was started in: nothing the init's language
     * runtime changes for its own sake leaks into it (Python ignores SIGPIPE and SIGXFSZ and, in the C
     * locale, sets LC_CTYPE; Go raises its soft open-file limit). Started with a lowered soft limit, the
     * handler's report through the init must equal the same report from a process started directly.
     * (A Go init cannot hand on a signal it was started with ignored, other than SIGHUP and SIGINT: run
     * under a JVM that was itself started with, say, SIGTERM ignored, GoInitIT fails here. Containers
     * start with no signal ignored.)
     */
    @Test
    void theHandlerStartsInTheStateTheInitWasStartedIn() throws Exception {
        Process direct = start(concat(LOW_NOFILE, STATE_REPORTER), Map.of());
        assertEquals(0, exit(direct));
        String expected = new String(direct.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(expected.contains("Max open files            256 "), expected);

        for (String mode : List.of("oneshot", "fork")) {
            Control c = control(mode + ".sock");
            Process p = start(concat(LOW_NOFILE, initCommand(), STATE_REPORTER),
                    Map.of("FAAS_CONTROL_SOCK", c.path.toString(), "FAAS_MODE", mode, "FAAS_STDIO", "1"));
            AFUNIXSocket s = c.accept();
            c.line(s);
            try (TcpPair tcp = new TcpPair()) {
                send(s, tcp.serverFd());
                tcp.server.close();
                assertEquals("ACK", c.line(s));
                if (mode.equals("fork")) {
                    assertTrue(c.line(s).startsWith("RUN "));
                    assertEquals("DONE 0 1", c.line(s));
                    s.close();
                }
                assertEquals(expected, tcp.clientReadAll(), mode + " mode");
            }
            assertEquals(0, exit(p), mode + " mode: " + stderrLines(p));
        }
    }

    /**
     * A handler that writes back what it inherited: its client descriptor and whether it is blocking,
     * any other socket it can see (there must be none), the systemd variables and whether stdin is the
     * connection.
     */
    private static final String REPORTER = String.join("\n",
            "import os",
            "fd = int(os.environ['FAAS_CLIENT_FD'])",
            "others = [n for n in os.listdir('/proc/self/fd') if int(n) != fd",
            "          and os.path.exists('/proc/self/fd/' + n)",
            "          and os.readlink('/proc/self/fd/' + n).startswith('socket:')]",
            "listen = '/'.join(os.environ.get(k, '-') for k in ('LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES'))",
            "stdio = os.path.sameopenfile(0, fd)",
            "os.write(fd, ('fd=%d blocking=%s others=%s listen=%s stdio=%s'",
            "              % (fd, os.get_blocking(fd), others, listen, stdio)).encode())");

    /**
     * Reports the handler's ignored and blocked standard signals, open-file limits, umask and locale
     * variables. Real-time signals (32 and up) are left out: the C libraries and the Go runtime reserve
     * some of them for themselves, and the JVM starts its children with 32 and 33 ignored.
     */
    private static final List<String> STATE_REPORTER = List.of("sh", "-c", String.join("; ",
            "while read -r k v; do case $k in SigBlk:|SigIgn:)"
                    + " printf '%s standard signals %#x\\n' $k $((0x$v & 0x7fffffff));; esac; done < /proc/self/status",
            "grep '^Max open files' /proc/self/limits",
            "echo \"umask=$(umask) LC_CTYPE=${LC_CTYPE-unset} LC_ALL=${LC_ALL-unset} LANG=${LANG-unset}\""));

    /** Runs its arguments as they are, but without any capability (the JVM's user, root here, keeps its uid). */
    private static final List<String> NO_CAPS = List.of("setpriv", "--inh-caps=-all", "--bounding-set=-all", "--");

    /** Runs its arguments with the soft open-file limit lowered to 256, below any usual hard limit. */
    private static final List<String> LOW_NOFILE = List.of("sh", "-c", "ulimit -S -n 256 && exec \"$@\"", "sh");

    /**
     * Version 2, the init's pid, a concurrency of 1 (oneshot and fork mode serve one connection at a
     * time), and {@code trace}: it takes trace context with the descriptor.
     */
    private static final Pattern HELLO = Pattern.compile("HELLO 2 (\\d+) 1 trace");

    /** Traceparents the tests send: W3C Trace Context's example, and another. */
    private static final String TRACEPARENT_1 = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private static final String TRACEPARENT_2 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    /** What an init is started with in its own environment: no request's trace context. */
    private static final String STALE_TRACEPARENT = "00-11111111111111111111111111111111-2222222222222222-01";

    // --- harness ---

    private record Control(Path path, AFUNIXServerSocket server) {
        AFUNIXSocket accept() throws IOException {
            server.setSoTimeout(10_000);
            AFUNIXSocket s = server.accept();
            s.setSoTimeout(10_000);
            return s;
        }

        String line(AFUNIXSocket s) throws IOException {
            StringBuilder sb = new StringBuilder();
            InputStream in = s.getInputStream();
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new IOException("EOF after '" + sb + "'");
                }
                sb.append((char) b);
            }
            return sb.toString();
        }
    }

    private Control control() throws IOException {
        return control("control.sock");
    }

    private Control control(String name) throws IOException {
        Path path = dir.resolve(name);
        AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(path));
        open.add(server);
        return new Control(path, server);
    }

    private static void send(AFUNIXSocket s, FileDescriptor fd) throws IOException {
        s.setOutboundFileDescriptors(fd);
        s.getOutputStream().write('F');
        s.getOutputStream().flush();
    }

    /** Hands a descriptor over with trace context: {@code T} and the 55 bytes, in one write. */
    private static void sendTraced(AFUNIXSocket s, FileDescriptor fd, String traceparent) throws IOException {
        s.setOutboundFileDescriptors(fd);
        s.getOutputStream().write(("T" + traceparent).getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** The TRACEPARENT entries of an environment as {@code env} prints it, in order, duplicates kept. */
    private static List<String> traceparents(String env) {
        return env.lines().filter(l -> l.startsWith("TRACEPARENT=")).toList();
    }

    private Process init(Path sock, Map<String, String> env, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(initCommand());
        cmd.addAll(List.of(command));
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("FAAS_CONTROL_SOCK", sock.toString());
        return start(cmd, all);
    }

    private Process start(List<String> cmd, Map<String, String> env) throws IOException {
        // Fork mode against a control socket that exists: the test will have the init spawn handlers.
        assumeTrue(forkModeRuns() || !"fork".equals(env.get("FAAS_MODE"))
                || !Files.exists(Path.of(env.getOrDefault("FAAS_CONTROL_SOCK", "/control.sock"))),
                "fork mode cannot spawn handlers here");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        // As a container starts it: nothing of the protocol, and no locale unless the image sets one.
        pb.environment().keySet().removeIf(k -> k.startsWith("FAAS_") || k.startsWith("LISTEN_")
                || k.startsWith("LC_") || k.equals("LANG") || k.equals("LANGUAGE"));
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> part : parts) {
            all.addAll(part);
        }
        return all;
    }

    private static int exit(Process p) throws InterruptedException {
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "faas-init did not exit");
        return p.exitValue();
    }

    /** The init wrote exactly one line to stderr: {@code faas-init: } and then {@code expected} within it. */
    private static void assertOneLine(Process p, String expected) throws IOException {
        List<String> lines = stderrLines(p);
        assertEquals(1, lines.size(), "one line on stderr: " + lines);
        assertTrue(lines.get(0).startsWith("faas-init: ") && lines.get(0).contains(expected),
                "'" + lines.get(0) + "' should be 'faas-init: ...' with '" + expected + "'");
    }

    private static List<String> stderrLines(Process p) throws IOException {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            return r.lines().toList();
        }
    }
}
