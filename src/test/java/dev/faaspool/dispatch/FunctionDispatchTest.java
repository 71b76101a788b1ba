package dev.faaspool.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.HandlerMode;
import dev.faaspool.config.Scaling;
import dev.faaspool.config.Specs;
import dev.faaspool.log.Outcome;
import dev.faaspool.log.RequestRecord;
import dev.faaspool.log.RequestSink;
import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.RequestCounters;
import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.pool.FunctionPool;
import dev.faaspool.pool.PoolFixture;
import dev.faaspool.pool.SlotState;
import dev.faaspool.trace.RequestTracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;

/**
 * The dispatcher's state machine on a real event loop, real TCP clients and real {@code SCM_RIGHTS},
 * with fake inits the test drives: what each answer (or silence) of an init does to the request and
 * the slot, and what clients that send nothing or leave do.
 */
class FunctionDispatchTest {
    private static final String REQUEST = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    private static final String RESPONSE = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nhi\n";

    @TempDir
    Path tmp;
    private PoolFixture fixture;
    private EventLoop loop;
    private FunctionDispatch dispatch;
    private FunctionPool pool;
    private final RequestCounters counters = new RequestCounters();
    /** What the dispatcher hands the request log, in order. */
    private final List<RequestRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final RequestSink sink = new RequestSink() {
        @Override
        public java.time.Instant now() {
            return java.time.Instant.EPOCH;
        }

        @Override
        public void record(RequestRecord r) {
            records.add(r);
        }
    };
    private final TaskGuard guard = new TaskGuard();
    /** Spans, when a test turns tracing on ({@link #traced}). */
    private final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private RequestTracing tracing;

    /** Tracing on, exporting each span as it ends. */
    private void traced() {
        traced(1.0);
    }

    /** Tracing on, recording {@code ratio} of new traces (and those a caller sampled) as faas-pool does. */
    private void traced(double ratio) {
        tracing = new RequestTracing(SdkTracerProvider.builder().setSampler(RequestTracing.sampler(ratio))
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build(), System::nanoTime,
                System.currentTimeMillis() * 1_000_000L);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (dispatch != null) {
            dispatch.close();
        }
        if (loop != null) {
            loop.close();
        }
        if (fixture != null) {
            fixture.close();
        }
        if (tracing != null) {
            tracing.close();
        }
        assertEquals(java.util.Map.of(), guard.counts(), "no internal error");
    }

    private void start(HandlerMode mode, String acquire, int queued) throws IOException {
        start(mode, acquire, queued, 1);
    }

    private void start(HandlerMode mode, String acquire, int queued, int concurrency) throws IOException {
        FunctionSpec spec = Specs.function("fn").listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .mode(mode).concurrency(concurrency).scaling(Scaling.FIXED).min(0).max(8)
                .acquire(dev.faaspool.config.Units.parseDuration(acquire)).firstByte(Duration.ofMillis(300))
                .connections(64).queued(queued).build();
        fixture = new PoolFixture(tmp);
        pool = fixture.pool(spec);
        loop = new EventLoop("test", System::nanoTime, guard);
        dispatch = FunctionDispatch.bind(spec.listen(), pool, loop, new FunctionLatency("fn"), counters, sink, tracing);
        dispatch.start();
    }

    /** The test's side of an init: takes descriptors, says lines. */
    private record Init(AFUNIXSocket socket) {
        FileDescriptor takeClient(int timeoutMillis) throws IOException {
            socket.setSoTimeout(timeoutMillis);
            int b = socket.getInputStream().read();
            if (b != 'F') {
                throw new IOException("expected F, got " + b);
            }
            FileDescriptor[] fds = socket.getReceivedFileDescriptors();
            if (fds == null || fds.length != 1) {
                throw new IOException("no descriptor");
            }
            return fds[0];
        }

        /** A hand-off as it came: its descriptor, and its trace context after a {@code T} (null after an {@code F}). */
        record HandOff(FileDescriptor fd, String traceparent) {}

        HandOff takeHandOff(int timeoutMillis) throws IOException {
            socket.setSoTimeout(timeoutMillis);
            InputStream in = socket.getInputStream();
            int b = in.read();
            FileDescriptor[] fds = socket.getReceivedFileDescriptors();
            if (fds == null || fds.length != 1) {
                throw new IOException("no descriptor");
            }
            if (b == 'F') {
                return new HandOff(fds[0], null);
            }
            if (b != 'T') {
                throw new IOException("expected F or T, got " + b);
            }
            return new HandOff(fds[0], new String(in.readNBytes(55), StandardCharsets.US_ASCII));
        }

        void say(String text) throws IOException {
            socket.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
        }

        /** Answers the client as a handler would, and closes the handler's copy. */
        static void answer(FileDescriptor client) throws IOException {
            try (FileOutputStream out = new FileOutputStream(client)) {
                out.write(RESPONSE.getBytes(StandardCharsets.US_ASCII));
            }
        }
    }

    private record Taken(Init init, FileDescriptor fd) {}

    /** Which of {@code inits} is handed the next connection (they are taken in an order the test does not fix). */
    private static Taken takeAny(List<Init> inits) throws IOException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() - deadline < 0) {
            for (Init in : inits) {
                try {
                    return new Taken(in, in.takeClient(20));
                } catch (SocketTimeoutException notThisOne) {
                    // the next
                } catch (IOException closed) {
                    // retired already
                }
            }
        }
        throw new AssertionError("no init was handed the connection");
    }

    private Init init() throws IOException {
        return new Init(fixture.warmSlot(pool));
    }

    /** An init that said {@code trace}: it is sent each request's trace context. */
    private Init tracingInit() throws IOException {
        return new Init(fixture.warmSlot(pool, 1, true));
    }

    /** An init that serves up to {@code capacity} connections at once. */
    private Init init(int capacity) throws IOException {
        return new Init(fixture.warmSlot(pool, capacity));
    }

    private Socket client(String send) throws IOException {
        Socket c = new Socket();
        c.connect(dispatch.address(), 5_000);
        c.setSoTimeout(10_000);
        if (!send.isEmpty()) {
            c.getOutputStream().write(send.getBytes(StandardCharsets.US_ASCII));
        }
        return c;
    }

    private static String readAll(Socket c) throws IOException {
        InputStream in = c.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(2);
        }
    }

    @Test
    void connectionsStillInTheBacklogWhenTheListenerClosesAreAnsweredNotReset() throws Exception {
        FunctionSpec spec = Specs.function("fn").listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .mode(HandlerMode.FORK).scaling(Scaling.FIXED).min(0).max(8).connections(64).queued(64).build();
        fixture = new PoolFixture(tmp);
        pool = fixture.pool(spec);
        loop = new EventLoop("test", System::nanoTime, guard);
        dispatch = FunctionDispatch.bind(spec.listen(), pool, loop, new FunctionLatency("fn"), counters, sink);
        // Not started: the kernel completes the connections and keeps them in the listener's backlog.
        Socket[] c = new Socket[5];
        for (int i = 0; i < c.length; i++) {
            c[i] = new Socket(dispatch.address().getAddress(), dispatch.address().getPort());
            c[i].getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
        }
        try {
            dispatch.close(); // no container to serve them: each is answered 503, none is reset
            for (Socket s : c) {
                String answer = readAll(s);
                assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
            }
        } finally {
            for (Socket s : c) {
                s.close();
            }
        }
        dispatch = null;
    }

    @Test
    void aCleanHandOffServesAndTheSlotServesAgainAfterDone() throws Exception {
        start(HandlerMode.PERSISTENT, "5s", 8);
        Init init = init();
        for (int i = 0; i < 3; i++) {
            try (Socket c = client(REQUEST)) {
                FileDescriptor fd = init.takeClient(5_000);
                init.say("ACK\nRUN 7\n");
                Init.answer(fd);
                init.say("DONE 0 " + (i + 1) + "\n"); // faas-pool's copy closes now: the client sees the end
                assertEquals(RESPONSE, readAll(c));
                RequestRecord r = records.get(i); // made before faas-pool's copy closed
                assertEquals(Outcome.SERVED, r.outcome());
                assertEquals("fn", r.function());
                assertEquals("127.0.0.1:" + c.getLocalPort(), r.client());
                assertTrue(r.start() != null, "its init took it (the first may have waited for the slot's adoption)");
                assertTrue(r.slot().startsWith("fn-"), r.slot());
                assertTrue(r.dispatchNanos() >= 0 && r.dispatchNanos() <= r.serviceNanos(), r.toString());
            }
        }
        assertEquals(3, records.size(), "one record per request: " + records);
        assertEquals(3, counters.warm.sum() + counters.cold.sum());
        await(() -> PoolFixture.count(pool, SlotState.WARM) == 1, "the slot is warm again");
        assertEquals(List.of(), fixture.owner.retired);
    }

    /**
     * {@code concurrency: 3}: one container takes three connections, each as soon as the last one's RUN
     * is in; a fourth waits until one of them is DONE, whatever the order they end in.
     */
    @Test
    void aContainerWithConcurrencyTakesThatManyAtOnceAndTheirDonesMayComeInAnyOrder() throws Exception {
        start(HandlerMode.PERSISTENT, "10s", 8, 3);
        Init init = init(3);
        Socket[] c = new Socket[4];
        FileDescriptor[] fd = new FileDescriptor[4];
        try {
            for (int i = 0; i < 3; i++) {
                c[i] = client(REQUEST);
                fd[i] = init.takeClient(5_000);
                init.say("ACK\nRUN 7\n");
            }
            await(() -> PoolFixture.count(pool, SlotState.BUSY) == 1, "one container serves all three");
            c[3] = client(REQUEST);
            await(() -> pool.waiting() == 1, "the fourth waits: the container serves as many as it may");
            init.socket().setSoTimeout(200);
            try {
                init.socket().getInputStream().read();
                throw new AssertionError("a fourth connection was handed to a container that serves three");
            } catch (SocketTimeoutException expected) {
                // nothing came
            }
            Init.answer(fd[1]);
            init.say("DONE 0 2\n"); // the second ends first
            assertEquals(RESPONSE, readAll(c[1]));
            fd[3] = init.takeClient(5_000); // request 4 takes its place
            init.say("ACK\nRUN 7\n");
            for (int i : new int[] {3, 0, 2}) {
                Init.answer(fd[i]);
                init.say("DONE 0 " + (i + 1) + "\n");
                assertEquals(RESPONSE, readAll(c[i]));
            }
        } finally {
            for (Socket s : c) {
                if (s != null) {
                    s.close();
                }
            }
        }
        await(() -> PoolFixture.count(pool, SlotState.WARM) == 1, "idle again once all four are done");
        assertEquals(4, counters.warm.sum() + counters.cold.sum());
        assertEquals(List.of(), fixture.owner.retired);
    }

    /** A DONE for a request that does not run, beside others that do, retires the container: all end with it. */
    @Test
    void aDoneNamingNoRunningRequestRetiresAConcurrentContainerAndItsRequestsAreAnswered() throws Exception {
        start(HandlerMode.PERSISTENT, "10s", 8, 2);
        Init init = init(2);
        try (Socket a = client(REQUEST)) {
            init.takeClient(5_000); // a is request 1: b connects only once it is handed off
            init.say("ACK\nRUN 7\n");
            Socket b = client(REQUEST);
            init.takeClient(5_000);
            init.say("ACK\nRUN 7\nDONE 0 2\nDONE 0 2\n"); // request 2 (b's) twice
            await(() -> fixture.owner.retired.size() == 1, "the second DONE retires the container");
            assertTrue(fixture.owner.retired.get(0).contains("DONE for request 2, which does not run"),
                    fixture.owner.retired.toString());
            init.socket().close(); // its removal
            String r = readAll(a); // request 1 ran in the retired container and was sent nothing
            assertTrue(r.startsWith("HTTP/1.1 502 "), r);
            b.close();
        }
    }

    /** A DONE for the hand-off in progress, before its ACK, is not an answer: the request goes elsewhere. */
    @Test
    void aDoneBeforeTheAckIsARefusalAndTheRequestGoesToAnotherSlot() throws Exception {
        start(HandlerMode.PERSISTENT, "10s", 8);
        Init early = init();
        try (Socket c = client(REQUEST)) {
            FileDescriptor kept = early.takeClient(5_000);
            early.say("DONE 0 1\n");
            await(() -> fixture.owner.retired.size() == 1, "the early DONE retires its slot");
            Init good = init();
            FileDescriptor fd = good.takeClient(5_000);
            new java.io.FileInputStream(kept).close();
            good.say("ACK\nRUN 8\n");
            Init.answer(fd);
            good.say("DONE 0 1\n");
            assertEquals(RESPONSE, readAll(c));
        }
        assertTrue(fixture.owner.retired.get(0).contains("instead of ACK"), fixture.owner.retired.toString());
        assertEquals(1, counters.redispatched.sum());
    }

    @Test
    void anInitThatStaysSilentIsRetiredAndTheRequestGoesToAnotherSlot() throws Exception {
        start(HandlerMode.PERSISTENT, "10s", 8);
        Init silent = init();
        try (Socket c = client(REQUEST)) {
            FileDescriptor kept = silent.takeClient(5_000); // takes the descriptor, never answers
            Init good = init();
            FileDescriptor fd = good.takeClient(5_000); // after the silent one's 2 s and its removal
            new java.io.FileInputStream(kept).close(); // its container's removal closes its copy
            good.say("ACK\nRUN 8\n");
            Init.answer(fd);
            good.say("DONE 0 1\n");
            assertEquals(RESPONSE, readAll(c));
        }
        assertEquals(1, fixture.owner.retired.size(), fixture.owner.retired.toString());
        assertTrue(fixture.owner.retired.get(0).endsWith("no ACK within 2000 ms"), fixture.owner.retired.toString());
        assertEquals(1, counters.redispatched.sum());
    }

    @Test
    void anAckTrickledAByteAtATimeDoesNotBuyTime() throws Exception {
        start(HandlerMode.PERSISTENT, "3s", 8);
        Init trickle = init();
        try (Socket c = client(REQUEST)) {
            trickle.takeClient(5_000);
            long t0 = System.nanoTime();
            for (char ch : "AC".toCharArray()) {
                trickle.say(String.valueOf(ch));
                Thread.sleep(800);
            }
            await(() -> !fixture.owner.retired.isEmpty(), "the trickling slot is retired");
            assertTrue(System.nanoTime() - t0 < 2_600_000_000L, "within the 2 s ACK deadline, not per read");
            String r = readAll(c); // no other slot: 503 at the acquire deadline
            assertTrue(r.startsWith("HTTP/1.1 503 "), r);
        }
    }

    @Test
    void aLineTooLongOrADoneAheadOfTimeRetiresTheSlotAndIsNeverAnAnswer() throws Exception {
        start(HandlerMode.PERSISTENT, "5s", 8);
        Init early = init();
        early.say("DONE 0 1\n"); // while idle: it may not be taken for a later request's end
        await(() -> fixture.owner.retired.size() == 1, "the early DONE retires its slot");
        assertTrue(fixture.owner.retired.get(0).contains("DONE for request 1, which was never handed off"),
                fixture.owner.retired.toString());

        List<Init> two = List.of(init(), init());
        try (Socket c = client(REQUEST)) {
            Taken first = takeAny(two);
            first.init().say("A".repeat(200));
            Init other = two.get(0) == first.init() ? two.get(1) : two.get(0);
            FileDescriptor fd = other.takeClient(5_000);
            new java.io.FileInputStream(first.fd()).close(); // its container's removal closes its copy
            other.say("ACK\nRUN 9\n");
            Init.answer(fd);
            other.say("DONE 0 1\n");
            assertEquals(RESPONSE, readAll(c));
        }
        assertEquals(2, fixture.owner.retired.size(), fixture.owner.retired.toString());
        assertTrue(fixture.owner.retired.get(1).contains("longer than 128 bytes"), fixture.owner.retired.toString());
    }

    @Test
    void retriesAreCappedAndTheClientGets503() throws Exception {
        start(HandlerMode.PERSISTENT, "20s", 8);
        List<Init> inits = List.of(init(), init(), init(), init(), init());
        try (Socket c = client(REQUEST)) {
            String r;
            for (int i = 0; i < FunctionDispatch.MAX_REDISPATCH + 1; i++) {
                takeAny(inits).init().say("FAIL recv 0 refusing\n");
            }
            r = readAll(c);
            assertTrue(r.startsWith("HTTP/1.1 503 ") && r.contains("3 tried"), r);
        }
        assertEquals(FunctionDispatch.MAX_REDISPATCH + 1, fixture.owner.retired.size(), fixture.owner.retired.toString());
    }

    @Test
    void aRequestTheSilentContainerConsumedIsAnswered502NotPassedOnTruncated() throws Exception {
        start(HandlerMode.PERSISTENT, "10s", 8);
        Init thief = init();
        try (Socket c = client(REQUEST)) {
            FileDescriptor fd = thief.takeClient(5_000);
            try (var in = new java.io.FileInputStream(fd)) {
                assertTrue(in.read(new byte[REQUEST.length()]) > 0); // reads the request, never ACKs
            }
            init(); // a good slot is there, but the request is gone
            String r = readAll(c);
            assertTrue(r.startsWith("HTTP/1.1 502 ") && r.contains("without acknowledging"), r);
        }
        assertEquals(1, records.size(), records.toString());
        RequestRecord r = records.get(0);
        assertEquals(Outcome.BAD_GATEWAY, r.outcome());
        assertTrue(r.slot().startsWith("fn-"), "the slot that consumed it: " + r);
        assertNull(r.start(), "no init acknowledged it");
        assertEquals(RequestRecord.NONE, r.dispatchNanos());
    }

    @Test
    void aContainerDyingAfterItsAckEndsTheRequestWithA502() throws Exception {
        start(HandlerMode.PERSISTENT, "5s", 8);
        Init dying = init();
        try (Socket c = client(REQUEST)) {
            dying.takeClient(5_000);
            dying.say("ACK\nRUN 3\n");
            dying.socket().close(); // the container died while serving, having written nothing
            String r = readAll(c);
            assertTrue(r.startsWith("HTTP/1.1 502 "), r);
        }
        assertEquals(List.of(Outcome.BAD_GATEWAY), outcomes());
        assertTrue(records.get(0).start() != null && records.get(0).dispatchNanos() >= 0, "its init took it: " + records);
        assertEquals(1, fixture.owner.retired.size());
    }

    @Test
    void oneshotExecShowsAsEofAndFailExecIsA502() throws Exception {
        start(HandlerMode.ONESHOT, "5s", 8);
        Init ok = init();
        try (Socket c = client(REQUEST)) {
            FileDescriptor fd = ok.takeClient(5_000);
            ok.say("ACK\n");
            Init.answer(fd); // (junixsocket closes received descriptors with their socket: answer first)
            ok.socket().close(); // exec: close-on-exec
            await(() -> counters.warm.sum() + counters.cold.sum() == 1, "taken");
        }
        Init broken = init();
        try (Socket c = client(REQUEST)) {
            broken.takeClient(5_000);
            broken.say("ACK\nFAIL exec 2 No such file or directory\n");
            String r = readAll(c);
            assertTrue(r.startsWith("HTTP/1.1 502 ") && r.contains("could not start its handler"), r);
        }
        // The first one's record comes when its container exits (not here); the 502 is recorded as it is answered.
        assertEquals(List.of(Outcome.BAD_GATEWAY), outcomes());
        assertTrue(records.get(0).start() != null && records.get(0).dispatchNanos() >= 0, "its init took it: " + records);
    }

    /** A FAIL exec answered 502 (which uses the loop's buffer) leaves the DONE read with it intact. */
    @Test
    void aFailExecAndItsDoneInOneReadAnswer502AndTheSlotServesAgain() throws Exception {
        start(HandlerMode.FORK, "5s", 8);
        Init init = init();
        try (Socket c = client(REQUEST)) {
            init.takeClient(5_000);
            init.say("ACK\nFAIL exec 2 No such file or directory\nDONE 127 1\n");
            String r = readAll(c);
            assertTrue(r.startsWith("HTTP/1.1 502 ") && r.contains("could not start its handler"), r);
        }
        await(() -> PoolFixture.count(pool, SlotState.WARM) == 1, "warm again after its DONE");
        assertEquals(List.of(), fixture.owner.retired);
    }

    @Test
    void idleResetAndLeavingClientsTouchNoContainer() throws Exception {
        start(HandlerMode.PERSISTENT, "5s", 8);
        Init init = init();
        // Connects and sends nothing: 408 after the first-byte timeout (300 ms here); the slot is not taken.
        try (Socket idle = client("")) {
            String r = readAll(idle);
            assertTrue(r.startsWith("HTTP/1.1 408 "), r);
        }
        // Connects and resets at once.
        for (int i = 0; i < 20; i++) {
            Socket rst = client("");
            rst.setSoLinger(true, 0);
            rst.close();
        }
        await(() -> counters.gone.sum() == 20, "the reset ones are dropped");
        init.socket().setSoTimeout(200);
        try {
            init.socket().getInputStream().read();
            throw new AssertionError("the init was handed a connection");
        } catch (SocketTimeoutException expected) {
            // nothing came
        }
        assertEquals(1, counters.firstByteTimeouts.sum());
        assertEquals(1, PoolFixture.count(pool, SlotState.WARM));
        assertEquals(Outcome.FIRST_BYTE_TIMEOUT, records.get(0).outcome());
        assertTrue(records.get(0).serviceNanos() >= 300_000_000L, "answered after the first-byte timeout: " + records.get(0));
        assertEquals(21, records.size(), "one record per connection: " + records);
        assertEquals(20, outcomes().stream().filter(o -> o == Outcome.DROPPED).count());
        assertTrue(records.stream().allMatch(r -> r.slot() == null && r.start() == null), records.toString());
    }

    @Test
    void aQueuedClientThatLeftDoesNotConsumeTheSlotThatFrees() throws Exception {
        start(HandlerMode.PERSISTENT, "10s", 8);
        Socket left = client(REQUEST);
        await(() -> pool.waiting() == 1, "it waits");
        left.setSoLinger(true, 0);
        left.close();
        Init init = init();
        await(() -> counters.gone.sum() == 1, "dropped when the slot came");
        init.socket().setSoTimeout(200);
        try {
            init.socket().getInputStream().read();
            throw new AssertionError("the init was handed a connection whose client had left");
        } catch (SocketTimeoutException expected) {
            // nothing came
        }
        assertEquals(0, pool.waiting());
    }

    @Test
    void beyondTheQueueBoundA503ComesAtOnceAndTheAcquireDeadlineHolds() throws Exception {
        start(HandlerMode.PERSISTENT, "700ms", 1);
        try (Socket waits = client(REQUEST); Socket over = client(REQUEST)) {
            String r = readAll(over);
            assertTrue(r.startsWith("HTTP/1.1 503 ") && r.contains("requests waiting"), r);
            long t0 = System.nanoTime();
            r = readAll(waits);
            assertTrue(r.startsWith("HTTP/1.1 503 ") && r.contains("within 700 ms"), r);
            assertTrue(System.nanoTime() - t0 < 2_000_000_000L);
        }
        assertEquals(1, counters.overflow.sum());
        assertEquals(1, counters.rejected.sum());
        assertEquals(List.of(Outcome.OVERLOADED, Outcome.UNAVAILABLE), outcomes());
        assertTrue(records.get(1).serviceNanos() >= 700_000_000L, "after the acquire timeout: " + records.get(1));
    }

    private List<Outcome> outcomes() {
        return records.stream().map(RequestRecord::outcome).toList();
    }

    // ---- trace context and spans ----

    private static final String TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static String tracedRequest(String traceparent) {
        return "GET / HTTP/1.1\r\nHost: x\r\ntraceparent: " + traceparent + "\r\n\r\n";
    }

    /** Serves one request on {@code init}'s hand-off {@code h}, as the {@code n}th on that init. */
    private static void serve(Init init, Init.HandOff h, int n) throws IOException {
        init.say("ACK\nRUN 7\n");
        Init.answer(h.fd());
        init.say("DONE 0 " + n + "\n");
    }

    @Test
    void withTracingOffAnInitThatTakesTraceContextGetsTheRequestsOwnAndOnlyAValidOne() throws Exception {
        start(HandlerMode.FORK, "5s", 8);
        Init init = tracingInit();
        String[] sent = {tracedRequest(TP), REQUEST, tracedRequest(TP.toUpperCase()),
            "GET / HTTP/1.1\r\ntraceparent: " + TP + "\r\ntraceparent: " + TP.replace('4', '5') + "\r\n\r\n"};
        String[] expected = {TP, null, null, null};
        for (int i = 0; i < sent.length; i++) {
            try (Socket c = client(sent[i])) {
                Init.HandOff h = init.takeHandOff(5_000);
                assertEquals(expected[i], h.traceparent(), "request " + (i + 1) + ": " + sent[i]);
                serve(init, h, i + 1);
                assertEquals(RESPONSE, readAll(c));
            }
        }
    }

    @Test
    void anInitThatDidNotSayTraceIsOnlyEverSentF() throws Exception {
        traced();
        start(HandlerMode.FORK, "5s", 8);
        Init init = init();
        try (Socket c = client(tracedRequest(TP))) {
            Init.HandOff h = init.takeHandOff(5_000);
            assertNull(h.traceparent());
            serve(init, h, 1);
            assertEquals(RESPONSE, readAll(c));
        }
        await(() -> spans.getFinishedSpanItems().size() == 1, "its span is exported");
    }

    @Test
    void withTracingOnEachRequestIsASpanChildOfItsTraceparentAndTheHandlerIsItsChild() throws Exception {
        traced();
        start(HandlerMode.FORK, "5s", 8);
        Init init = tracingInit();
        Init.HandOff h;
        try (Socket c = client(tracedRequest(TP))) {
            h = init.takeHandOff(5_000);
            serve(init, h, 1);
            assertEquals(RESPONSE, readAll(c));
        }
        await(() -> spans.getFinishedSpanItems().size() == 1, "its span is exported");
        SpanData s = spans.getFinishedSpanItems().get(0);
        assertEquals("fn", s.getName());
        assertEquals(SpanKind.SERVER, s.getKind());
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", s.getTraceId(), "the client's trace");
        assertEquals("00f067aa0ba902b7", s.getParentSpanId(), "a child of the client's span");
        assertEquals("00-" + s.getTraceId() + "-" + s.getSpanId() + "-01", h.traceparent(),
                "the handler's parent is the pool's span");
        assertEquals("fn", s.getAttributes().get(AttributeKey.stringKey("faas.name")));
        assertEquals("fork", s.getAttributes().get(AttributeKey.stringKey("faaspool.mode")));
        assertEquals("served", s.getAttributes().get(AttributeKey.stringKey("faaspool.outcome")));
        assertTrue(s.getAttributes().get(AttributeKey.stringKey("faaspool.slot")).startsWith("fn-"));
        List<String> events = s.getEvents().stream().map(EventData::getName).toList();
        // It may have come before the loop adopted the new slot, and waited for it: then it was queued first.
        assertEquals(List.of("handed off", "ack", "run"), events.get(0).equals("queued") ? events.subList(1, events.size())
                : events, events.toString());
        long t = s.getStartEpochNanos();
        for (EventData e : s.getEvents()) {
            assertTrue(e.getEpochNanos() >= t, "events in order: " + s.getEvents());
            t = e.getEpochNanos();
        }
        assertTrue(s.getEndEpochNanos() >= t, "it ends after its events");
        assertEquals(StatusCode.UNSET, s.getStatus().getStatusCode());
    }

    @Test
    void aRequestWithoutTraceContextStartsATraceOfItsOwn() throws Exception {
        traced();
        start(HandlerMode.FORK, "5s", 8);
        Init init = tracingInit();
        try (Socket c = client(tracedRequest("00-" + "0".repeat(32) + "-00f067aa0ba902b7-01"))) {
            Init.HandOff h = init.takeHandOff(5_000);
            serve(init, h, 1);
            readAll(c);
            await(() -> spans.getFinishedSpanItems().size() == 1, "its span is exported");
            SpanData s = spans.getFinishedSpanItems().get(0);
            assertTrue(!s.getParentSpanContext().isValid(), "a root: the client's value was not valid");
            assertEquals("00-" + s.getTraceId() + "-" + s.getSpanId() + "-" + s.getSpanContext().getTraceFlags().asHex(),
                    h.traceparent()); // sampled, and (W3C level 2) its trace id random: 03
        }
    }

    @Test
    void anUnsampledRequestIsNotRecordedButItsHandlerStillGetsItsTraceContextAndACallersSampledOneIs() throws Exception {
        traced(0.0);
        start(HandlerMode.FORK, "5s", 8);
        Init init = tracingInit();
        try (Socket c = client(REQUEST)) {
            Init.HandOff h = init.takeHandOff(5_000);
            assertTrue(h.traceparent().matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[02]"), "unsampled: " + h.traceparent());
            serve(init, h, 1);
            readAll(c);
        }
        try (Socket c = client(tracedRequest(TP))) { // the caller sampled it: recorded whatever the ratio
            Init.HandOff h = init.takeHandOff(5_000);
            serve(init, h, 2);
            readAll(c);
        }
        await(() -> spans.getFinishedSpanItems().size() == 1, "the caller's sampled request is exported");
        Thread.sleep(100);
        assertEquals(1, spans.getFinishedSpanItems().size(), "and only it: " + spans.getFinishedSpanItems());
        assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", spans.getFinishedSpanItems().get(0).getTraceId());
    }

    @Test
    void aRequestFaasPoolAnswersItselfIsAnErrorSpanWithItsStatus() throws Exception {
        traced();
        start(HandlerMode.FORK, "100ms", 8); // no slot: 503 once the acquire timeout passes
        try (Socket c = client(tracedRequest(TP))) {
            assertTrue(readAll(c).startsWith("HTTP/1.1 503"));
        }
        await(() -> spans.getFinishedSpanItems().size() == 1, "its span is exported");
        SpanData s = spans.getFinishedSpanItems().get(0);
        assertEquals("00f067aa0ba902b7", s.getParentSpanId());
        assertEquals(StatusCode.ERROR, s.getStatus().getStatusCode());
        assertTrue(s.getStatus().getDescription().startsWith("no warm container of function 'fn' within 100 ms"),
                s.getStatus().getDescription());
        assertEquals(503L, s.getAttributes().get(AttributeKey.longKey("http.response.status_code")));
        assertEquals("unavailable", s.getAttributes().get(AttributeKey.stringKey("faaspool.outcome")));
        assertEquals(List.of(), s.getEvents().stream().map(EventData::getName).filter(n -> !n.equals("queued")).toList());
    }
}
