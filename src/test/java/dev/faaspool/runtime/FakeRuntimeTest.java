package dev.faaspool.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.control.ControlConnection;
import dev.faaspool.control.ControlEndpoint;
import dev.faaspool.control.ControlMessage;
import dev.faaspool.control.ProtocolException;
import dev.faaspool.runtime.FakeRuntime.Boot;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fake engine against the pool's real control endpoint: its containers say hello over a real
 * Unix socket, and stop, die and go away as Docker's do. No Docker, no real waiting.
 */
class FakeRuntimeTest {
    private static final String INSTANCE = "t";
    private static final Duration QUICK = Duration.ofSeconds(5);
    /** For an accept that must time out: nothing is coming, so this is all the time the test waits. */
    private static final Duration NOTHING = Duration.ofMillis(50);

    @TempDir
    Path tmp;

    private final List<Duration> slept = new CopyOnWriteArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<AutoCloseable> opened = new ArrayList<>();
    private FakeRuntime runtime;
    private int slots;

    /** Every exit the instance's watch heard, as "id=code". */
    private final List<String> exits = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        runtime = new FakeRuntime(slept::add, now::get); // records the delays instead of sleeping them
        opened.add(runtime.watchExits(Labels.INSTANCE, INSTANCE, (id, code) -> exits.add(id + "=" + code)));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
        runtime.close();
    }

    /** A slot's control endpoint, as SlotLauncher opens it (owned by this process's user, as PoolFixture does). */
    private ControlEndpoint endpoint() throws IOException {
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        int gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        ControlEndpoint e = ControlEndpoint.open(tmp.resolve("slot-" + ++slots), uid, gid);
        opened.add(e);
        return e;
    }

    /** A container spec the way SlotLauncher builds one: labels, the control socket's variable and mount. */
    private static ContainerSpec spec(String name, String function, ControlEndpoint endpoint, Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(extraEnv);
        env.putIfAbsent("FAAS_CONTROL_SOCK", "/run/faas/" + ControlEndpoint.SOCKET_NAME);
        return new ContainerSpec(name, "faas-hello:latest", List.of(), env,
                Map.of(Labels.INSTANCE, INSTANCE, Labels.FUNCTION, function, Labels.SLOT, name),
                endpoint.dir(), "/run/faas", 64L << 20, 64, 16L << 20, "65534:65534", 1_000_000_000L, 0, 1024,
                null, "runc", "/faas-pool/" + INSTANCE + "/" + function, "none");
    }

    private ContainerSpec spec(String name, ControlEndpoint endpoint) {
        return spec(name, "hello", endpoint, Map.of());
    }

    /** Accepts the init's connection; the caller closes it through {@link #opened}. */
    private ControlConnection accept(ControlEndpoint endpoint, Duration timeout) throws IOException {
        ControlConnection c = endpoint.accept(timeout);
        opened.add(c);
        return c;
    }

    @Test
    void aStartedContainerSaysHelloBeforeStartReturns() throws IOException {
        ControlEndpoint endpoint = endpoint();
        String id = runtime.create(spec("a", endpoint));
        assertEquals(-1, runtime.inspectExit(id).exitCode());
        assertEquals(List.of(), runtime.running(), "created is not running");

        runtime.start(id);

        assertEquals(List.of(id), runtime.running());
        ControlConnection c = accept(endpoint, QUICK);
        ControlMessage.Hello hello = c.awaitHello(NOTHING); // already in the socket: no waiting
        assertEquals(ControlMessage.VERSION, hello.version());
        assertEquals(runtime.pid(id), hello.pid());
        assertEquals(1, hello.concurrency());
        assertFalse(c.hasUnread());
        assertEquals(-1, runtime.inspectExit(id).exitCode(), "running: no exit code yet");
        assertEquals(1, runtime.created());
        assertEquals(endpoint.dir(), runtime.spec(id).controlDir());
    }

    @Test
    void theHelloAnnouncesFaasConcurrencyOrWhatTheBootSays() throws IOException {
        ControlEndpoint e1 = endpoint();
        String fromEnv = runtime.create(spec("a", "hello", e1, Map.of("FAAS_CONCURRENCY", "4")));
        runtime.start(fromEnv);
        assertEquals(4, accept(e1, QUICK).awaitHello(QUICK).concurrency());

        runtime.planNext(Boot.hello(2));
        ControlEndpoint e2 = endpoint();
        String planned = runtime.create(spec("b", "hello", e2, Map.of("FAAS_CONCURRENCY", "4")));
        runtime.start(planned);
        assertEquals(2, accept(e2, QUICK).awaitHello(QUICK).concurrency(), "an SDK that serves fewer says so");
    }

    @Test
    void theDelayGoesThroughTheSleeper() throws IOException {
        runtime.plan("slow", Boot.hello().after(Duration.ofMillis(250)));
        ControlEndpoint endpoint = endpoint();
        String id = runtime.create(spec("a", "slow", endpoint, Map.of()));

        runtime.start(id);

        assertEquals(List.of(Duration.ofMillis(250)), slept);
        accept(endpoint, QUICK).awaitHello(QUICK);
    }

    @Test
    void plansApplyNextFirstThenByFunctionThenTheDefault() throws IOException {
        runtime.plan("broken", Boot.failCreate("no"));
        runtime.planDefault(Boot.hang());
        runtime.planNext(Boot.hello().after(Duration.ofMillis(7)));

        String first = runtime.create(spec("a", "broken", endpoint(), Map.of())); // the queued boot wins
        assertThrows(ContainerRuntimeException.class, () -> runtime.create(spec("b", "broken", endpoint(), Map.of())));
        ControlEndpoint other = endpoint();
        String third = runtime.create(spec("c", "other", other, Map.of()));

        runtime.start(first);
        runtime.start(third);
        assertEquals(List.of(Duration.ofMillis(7), Duration.ZERO), slept);
        assertThrows(SocketTimeoutException.class, () -> other.accept(NOTHING), "the default: hang");
        assertEquals(2, runtime.created(), "a refused create makes no container");
    }

    @Test
    void aHangingInitNeverConnects() throws IOException {
        runtime.planNext(Boot.hang());
        ControlEndpoint endpoint = endpoint();
        String id = runtime.create(spec("a", endpoint));
        runtime.start(id);

        assertEquals(List.of(id), runtime.running());
        assertThrows(SocketTimeoutException.class, () -> endpoint.accept(NOTHING));
        assertThrows(IllegalStateException.class, () -> runtime.init(id));

        runtime.kill(id);
        assertEquals(List.of(id + "=137"), exits);
    }

    @Test
    void anExitClosesTheInitsEndAndIsHeard() throws IOException {
        ControlEndpoint endpoint = endpoint();
        String id = runtime.create(spec("a", endpoint));
        runtime.start(id);
        ControlConnection c = accept(endpoint, QUICK);
        c.awaitHello(QUICK);

        runtime.exit(id, 3);

        assertEquals(List.of(id + "=3"), exits);
        assertInstanceOf(ControlMessage.Eof.class, c.awaitStart(QUICK), "the pool sees its init go");
        ContainerExit exit = runtime.inspectExit(id);
        assertEquals(3, exit.exitCode());
        assertFalse(exit.oomKilled());
        assertEquals(List.of(), runtime.running());
        assertEquals(List.of(id), runtime.findExitedByLabel(Labels.INSTANCE, INSTANCE));
        assertThrows(IllegalStateException.class, () -> runtime.kill(id), "stopped already");
    }

    @Test
    void anOomKillIsExit137WithTheFlag() throws IOException {
        ControlEndpoint endpoint = endpoint();
        String id = runtime.create(spec("a", endpoint));
        runtime.start(id);

        runtime.oom(id);

        ContainerExit exit = runtime.inspectExit(id);
        assertEquals(137, exit.exitCode());
        assertTrue(exit.oomKilled());
        assertEquals(List.of(id + "=137"), exits);
    }

    @Test
    void theInitsSocketTalksToThePool() throws IOException {
        ControlEndpoint endpoint = endpoint();
        String id = runtime.create(spec("a", endpoint));
        runtime.start(id);
        ControlConnection c = accept(endpoint, QUICK);
        c.awaitHello(QUICK);

        var out = runtime.init(id).getOutputStream();
        out.write("ACK\nRUN 42\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();

        assertInstanceOf(ControlMessage.Ack.class, c.awaitStart(QUICK));
        assertEquals(new ControlMessage.Run(42), c.awaitStart(QUICK));
    }

    @Test
    void aHostileLineIsSentVerbatim() throws IOException {
        runtime.planNext(Boot.line("HELLO 1 7\n"));
        ControlEndpoint endpoint = endpoint();
        String id = runtime.create(spec("a", endpoint));
        runtime.start(id);

        ProtocolException e = assertThrows(ProtocolException.class, () -> accept(endpoint, QUICK).awaitHello(QUICK));
        assertTrue(e.getMessage().contains("protocol 1"), e.getMessage());
    }

    @Test
    void anInitThatExitsBeforeHelloLeavesItsCodeAndLogs() throws IOException {
        runtime.planNext(Boot.exitBeforeHello(127).printing("exec /handler: no such file"));
        ControlEndpoint endpoint = endpoint();
        String id = runtime.create(spec("a", endpoint));

        runtime.start(id); // Docker's start succeeds; the process dies on its own

        assertEquals(List.of(id + "=127"), exits);
        assertThrows(SocketTimeoutException.class, () -> endpoint.accept(NOTHING));
        ContainerExit exit = runtime.inspectExit(id);
        assertEquals(127, exit.exitCode());
        assertEquals(List.of("exec /handler: no such file"), exit.lastLogs());
    }

    @Test
    void anInitWhoseSocketIsNotThereExits1SayingWhy() {
        Map<String, String> env = new HashMap<>();
        ContainerSpec spec = new ContainerSpec("a", "img", List.of(), env, Map.of(Labels.INSTANCE, INSTANCE),
                tmp.resolve("never-opened"), "/run/faas", 0, 0, 0, "0", 0, 0, 0, null, "runc", "/", "none");
        String id = runtime.create(spec);

        runtime.start(id);

        ContainerExit exit = runtime.inspectExit(id);
        assertEquals(1, exit.exitCode());
        assertTrue(exit.lastLogs().getFirst().startsWith("faas-init: connect to "), exit.lastLogs().toString());
        assertEquals(List.of(id + "=1"), exits);
    }

    @Test
    void theInitLooksWhereFaasControlSockSaysThroughTheMount() throws IOException {
        ControlEndpoint endpoint = endpoint();
        // The endpoint is open, but the variable names a path the read-only mount does not cover.
        String id = runtime.create(spec("a", "hello", endpoint, Map.of("FAAS_CONTROL_SOCK", "/control.sock")));

        runtime.start(id);

        assertEquals(1, runtime.inspectExit(id).exitCode());
        assertThrows(SocketTimeoutException.class, () -> endpoint.accept(NOTHING));
    }

    @Test
    void manyThreadsStartAtOnce() throws Exception {
        int threads = 8;
        int each = 5;
        List<ControlEndpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < threads * each; i++) {
            endpoints.add(endpoint());
        }
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(threads)) {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int i = 0; i < endpoints.size(); i++) {
                ControlEndpoint e = endpoints.get(i);
                String name = "s" + i;
                done.add(pool.submit(() -> runtime.start(runtime.create(spec(name, e)))));
            }
            for (var f : done) {
                f.get();
            }
        }
        assertEquals(threads * each, runtime.running().size());
        for (ControlEndpoint e : endpoints) {
            accept(e, QUICK).awaitHello(NOTHING);
        }
    }

    @Test
    void failedCreatesAndStartsFailAsTheEngineWould() throws IOException {
        runtime.planNext(Boot.failCreate("disk full"), Boot.failStart("OCI runtime create failed"));
        ContainerRuntimeException create =
                assertThrows(ContainerRuntimeException.class, () -> runtime.create(spec("a", endpoint())));
        assertTrue(create.getMessage().endsWith("disk full"), create.getMessage());
        assertEquals(0, runtime.created());

        String id = runtime.create(spec("b", endpoint()));
        assertThrows(ContainerRuntimeException.class, () -> runtime.start(id));

        // Left created, never started: what the pool's poll sweeps once it is old enough.
        assertEquals(List.of(), runtime.findNeverStartedByLabel(Labels.INSTANCE, INSTANCE, Duration.ofMinutes(1)));
        now.addAndGet(Duration.ofMinutes(1).toNanos());
        assertEquals(List.of(id), runtime.findNeverStartedByLabel(Labels.INSTANCE, INSTANCE, Duration.ofMinutes(1)));
        assertEquals(List.of(), runtime.findExitedByLabel(Labels.INSTANCE, INSTANCE));
        assertEquals(-1, runtime.inspectExit(id).exitCode());
        assertEquals(List.of(), exits, "a container that never ran does not die");
    }

    @Test
    void aStartCannotBeRepeatedAndANameNotReused() throws IOException {
        ControlEndpoint endpoint = endpoint();
        String id = runtime.create(spec("a", endpoint));
        runtime.start(id);
        assertThrows(ContainerRuntimeException.class, () -> runtime.start(id));
        assertThrows(ContainerRuntimeException.class, () -> runtime.create(spec("a", endpoint())));

        runtime.remove(id);
        runtime.create(spec("a", endpoint())); // the name is free again
    }

    @Test
    void removingARunningContainerKillsItAndIsIdempotent() throws IOException {
        ControlEndpoint e1 = endpoint();
        String running = runtime.create(spec("a", e1));
        runtime.start(running);
        ControlConnection c = accept(e1, QUICK);
        c.awaitHello(QUICK);
        String created = runtime.create(spec("b", endpoint()));

        runtime.remove(created);
        runtime.remove(running);
        runtime.remove(running);
        runtime.remove("never-was");

        assertEquals(List.of(running + "=137"), exits, "Docker's die on a forced removal; none for one never started");
        assertInstanceOf(ControlMessage.Eof.class, c.awaitStart(QUICK));
        assertEquals(List.of(created, running), runtime.removed());
        assertEquals(List.of(), runtime.findByLabel(Labels.INSTANCE, INSTANCE));
        assertThrows(ContainerRuntimeException.class, () -> runtime.inspectExit(running), "No such container");
        assertThrows(ContainerRuntimeException.class, () -> runtime.start(created));
        assertEquals("a", runtime.spec(running).name(), "the test still sees what it was");
    }

    @Test
    void aRemovalDuringTheStartFailsTheStart() throws IOException {
        // The sleeper is where a start waits, so it is where a test can act in the middle of one.
        AtomicReference<Runnable> meanwhile = new AtomicReference<>(() -> {});
        FakeRuntime rt = new FakeRuntime(d -> meanwhile.get().run());
        opened.add(rt);
        ControlEndpoint endpoint = endpoint();
        String id = rt.create(spec("a", endpoint));
        meanwhile.set(() -> rt.remove(id));

        assertThrows(ContainerRuntimeException.class, () -> rt.start(id));
        assertThrows(SocketTimeoutException.class, () -> endpoint.accept(NOTHING));
        assertEquals(List.of(id), rt.removed());
    }

    @Test
    void labelsSelect() throws IOException {
        String a = runtime.create(spec("a", "f", endpoint(), Map.of()));
        String b = runtime.create(spec("b", "g", endpoint(), Map.of()));
        runtime.start(b);
        runtime.exit(b, 0);
        ContainerSpec unlabelled = new ContainerSpec("c", "img", List.of(), Map.of(), Map.of(), tmp, "/run/faas",
                0, 0, 0, "0", 0, 0, 0, null, "runc", "/", "none");
        runtime.create(unlabelled);

        assertEquals(List.of(a, b), runtime.findByLabel(Labels.INSTANCE, INSTANCE));
        assertEquals(List.of(a), runtime.findByLabel(Labels.FUNCTION, "f"));
        assertEquals(List.of(b), runtime.findExitedByLabel(Labels.INSTANCE, INSTANCE));
        assertEquals(List.of(), runtime.findExitedByLabel(Labels.FUNCTION, "f"));
        assertEquals(List.of(), runtime.findByLabel(Labels.INSTANCE, "other"));
    }

    @Test
    void aWatchHearsItsLabelUntilClosed() throws Exception {
        List<String> heard = new CopyOnWriteArrayList<>();
        AutoCloseable watch = runtime.watchExits(Labels.FUNCTION, "f", (id, code) -> heard.add(id));
        runtime.planDefault(Boot.hang());
        String f1 = runtime.create(spec("a", "f", endpoint(), Map.of()));
        String g = runtime.create(spec("b", "g", endpoint(), Map.of()));
        String f2 = runtime.create(spec("c", "f", endpoint(), Map.of()));
        for (String id : List.of(f1, g, f2)) {
            runtime.start(id);
        }

        runtime.kill(f1);
        runtime.kill(g);
        watch.close();
        runtime.kill(f2);

        assertEquals(List.of(f1), heard);
        assertEquals(List.of(f1 + "=137", g + "=137", f2 + "=137"), exits, "the instance's watch is still open");
    }

    @Test
    void aThrowingListenerDoesNotFailTheEngineCall() throws IOException {
        runtime.watchExits(Labels.INSTANCE, INSTANCE, (id, code) -> {
            throw new IllegalStateException("executor shut down");
        });
        String id = runtime.create(spec("a", endpoint()));
        runtime.start(id);

        runtime.remove(id);

        assertEquals(List.of(id + "=137"), exits, "the other listener still hears it");
    }

    @Test
    void aDownEngineFailsEveryCallAndHoldsExitsBack() throws IOException {
        runtime.planDefault(Boot.hang());
        String id = runtime.create(spec("a", endpoint()));
        runtime.start(id);

        runtime.engineDown(true);
        assertThrows(ContainerRuntimeException.class, () -> runtime.create(spec("b", endpoint())));
        assertThrows(ContainerRuntimeException.class, () -> runtime.start(id));
        assertThrows(ContainerRuntimeException.class, () -> runtime.remove(id));
        assertThrows(ContainerRuntimeException.class, () -> runtime.inspectExit(id));
        assertThrows(ContainerRuntimeException.class, () -> runtime.findByLabel(Labels.INSTANCE, INSTANCE));
        assertThrows(ContainerRuntimeException.class, () -> runtime.findExitedByLabel(Labels.INSTANCE, INSTANCE));
        assertThrows(ContainerRuntimeException.class,
                () -> runtime.findNeverStartedByLabel(Labels.INSTANCE, INSTANCE, Duration.ZERO));
        assertThrows(ContainerRuntimeException.class, () -> runtime.imageExists("img"));
        runtime.kill(id); // the process can die while the engine is away
        assertEquals(List.of(), exits);

        runtime.engineDown(false);
        assertEquals(List.of(id + "=137"), exits, "delivered when the stream is back");
        assertEquals(137, runtime.inspectExit(id).exitCode());
    }

    @Test
    void failNextFailsThatManyCalls() throws IOException {
        runtime.failNext(2);
        assertThrows(ContainerRuntimeException.class, () -> runtime.findByLabel(Labels.INSTANCE, INSTANCE));
        assertThrows(ContainerRuntimeException.class, () -> runtime.create(spec("a", endpoint())));
        runtime.create(spec("a", endpoint()));
        assertEquals(1, runtime.created());
    }

    @Test
    void aMissingImageIsNeverPulled() throws IOException {
        assertTrue(runtime.imageExists("faas-hello:latest"));
        runtime.imageMissing("faas-hello:latest");
        assertFalse(runtime.imageExists("faas-hello:latest"));
        ContainerRuntimeException e =
                assertThrows(ContainerRuntimeException.class, () -> runtime.create(spec("a", endpoint())));
        assertTrue(e.getMessage().contains("No such image"), e.getMessage());
    }

    @Test
    void closeClosesEveryInitSocket() throws IOException {
        ControlEndpoint endpoint = endpoint();
        String id = runtime.create(spec("a", endpoint));
        runtime.start(id);
        ControlConnection c = accept(endpoint, QUICK);
        c.awaitHello(QUICK);

        runtime.close();

        assertTrue(runtime.init(id).isClosed());
        assertInstanceOf(ControlMessage.Eof.class, c.awaitStart(QUICK));
    }
}
