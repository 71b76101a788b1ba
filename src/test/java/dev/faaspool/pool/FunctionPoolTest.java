package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.config.Defaults;
import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.HandlerMode;
import dev.faaspool.config.Specs;
import dev.faaspool.control.ControlConnection;
import dev.faaspool.control.ControlEndpoint;
import dev.faaspool.metrics.FunctionLatency;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

class FunctionPoolTest {
    private static final InetSocketAddress LISTEN = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);

    private final RecordingOwner owner = new RecordingOwner();
    private final ExecutorService dispatchers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dispatcher");
        t.setDaemon(true);
        return t;
    });
    private final List<AutoCloseable> opened = new ArrayList<>();
    private int nextSlot;

    @AfterEach
    void stopDispatchersAndCloseSockets() throws Exception {
        dispatchers.shutdownNow();
        for (AutoCloseable c : opened) {
            c.close();
        }
    }

    // ---- wanted ----

    @Test
    void wantedFillsUpToTheWarmTarget() {
        FunctionPool pool = pool(2, 16);
        assertEquals(2, wanted(pool, 0, 0, 0, 0));
        assertEquals(1, wanted(pool, 1, 0, 0, 0));
        assertEquals(1, wanted(pool, 0, 1, 0, 0));
        assertEquals(0, wanted(pool, 1, 1, 0, 0));
        assertEquals(2, wanted(pool, 0, 0, 10, 0)); // busy slots do not count as warm
    }

    @Test
    void inModesThatReuseContainersBusySlotsCountTowardsTheTarget() {
        FunctionSpec fork = Specs.function("hello").mode(HandlerMode.FORK).min(2).max(16).build();
        FunctionPool pool = new FunctionPool(fork, owner, new FunctionLatency("hello"));
        assertEquals(0, wanted(pool, 0, 1, 1, 0), "the busy one comes back: two already");
        assertEquals(1, wanted(pool, 0, 0, 1, 0));
    }

    @Test
    void wantedIsNeverNegative() {
        FunctionPool pool = pool(2, 16);
        assertEquals(0, wanted(pool, 3, 4, 0, 0)); // more than the target
        assertEquals(0, wanted(pool, 0, 0, 20, 0)); // more than max busy, e.g. after a smaller max
    }

    @Test
    void wantedStaysWithinMaxContainers() {
        FunctionPool pool = pool(4, 5);
        assertEquals(2, wanted(pool, 0, 0, 3, 0)); // 4 short, room for 2
        assertEquals(1, wanted(pool, 1, 0, 3, 0));
        assertEquals(0, wanted(pool, 0, 0, 5, 0));
        assertEquals(0, wanted(pool, 0, 1, 4, 0));
    }

    @Test
    void wantedAddsOneSlotPerWaitingRequest() {
        FunctionPool pool = pool(1, 16);
        pool.waiting(2); // as the dispatcher publishes it
        assertEquals(1, owner.reconciles.get(), "requests that start to wait ask the owner for slots");

        assertEquals(3, wanted(pool, 0, 0, 0, 0)); // warm target 1 + 2 waiting
        assertEquals(1, wanted(pool, 2, 0, 0, 0));
        assertEquals(0, wanted(pool, 0, 0, 16, 0)); // but never beyond max

        pool.waiting(0);
        assertEquals(1, wanted(pool, 0, 0, 2, 0));
        assertEquals(1, owner.reconciles.get(), "fewer waiting is no news to the owner");
    }

    @Test
    void warmSlotsGoToTheDispatcherAndThoseWarmBeforeItStartedToo() {
        FunctionPool pool = pool(2, 16);
        Slot early = warmSlot(pool);
        pool.offerWarm(early);
        List<Slot> got = new ArrayList<>();
        pool.dispatchTo(got::add);
        Slot late = warmSlot(pool);
        pool.offerWarm(late);
        assertEquals(List.of(early, late), got);
        assertTrue(pool.take(late));
        assertFalse(pool.take(late), "taken once");
        early.retire();
        assertFalse(pool.take(early), "a retired slot is not taken");
    }

    @Test
    void aLeaseIsColdOnlyForARequestThatWaitedForANewContainer() {
        FunctionPool pool = pool(2, 16);
        Slot fresh = warmSlot(pool);
        assertTrue(pool.lease(fresh, true, 0).cold());
        assertFalse(pool.lease(fresh, false, 0).cold());
        fresh.used();
        assertFalse(pool.lease(fresh, true, 0).cold(), "a busy one come free: queueing, not a cold start");
    }

    @Test
    void wantedWithTheBuiltInFunctionUsesItsPoolSize() {
        FunctionPool small = new FunctionPool(Defaults.helloFunction(LISTEN, 3), owner, new FunctionLatency("hello"));
        assertEquals(3, wanted(small, 0, 0, 0, 0));
        assertEquals(2, wanted(small, 0, 0, Defaults.MAX - 2, 0));
        FunctionPool large = new FunctionPool(Defaults.helloFunction(LISTEN, Defaults.MAX + 4), owner, new FunctionLatency("hello"));
        assertEquals(Defaults.MAX + 4, wanted(large, 0, 0, 0, 0)); // max grew to the warm size
    }

    // ---- notTaken, count ----

    @Test
    void notTakenRetiresTheSlotAndTheConnectionWaitsForTheContainersRemoval(@TempDir Path tmp) throws Exception {
        FunctionPool pool = pool(2, 16);
        Slot s = warmSlot(pool);
        Slot t = warmSlot(pool);
        // A leased slot always has its init's control connection.
        withControlConnection(s, tmp.resolve("s"));
        withControlConnection(t, tmp.resolve("t"));

        Runnable after = () -> { };
        pool.notTaken(new Lease(s, false, new Request(s, 0)), "init did not answer", after);
        pool.notTaken(new Lease(t, true, new Request(t, 0)), "init closed", after);

        assertEquals(List.of(new Retirement(pool, s, "init did not answer", true),
                new Retirement(pool, t, "init closed", true)), owner.retired);
    }

    // ---- how requests end ----

    @Test
    void aRequestEndsExactlyOnceWhoeverSeesItEndAndItsClientIsAnsweredByTheFirst(@TempDir Path tmp) throws Exception {
        FunctionSpec fork = Specs.function("hello").mode(HandlerMode.FORK).min(1).max(4).build();
        FunctionPool pool = new FunctionPool(fork, owner, new FunctionLatency("hello"));
        Slot s = warmSlot(pool);
        withControlConnection(s, tmp.resolve("s"));
        assertTrue(pool.take(s));
        Lease lease = pool.lease(s, false, System.nanoTime());
        List<HandlerExit> ended = new CopyOnWriteArrayList<>();
        pool.taken(lease);
        pool.handedOff(lease, ended::add);

        // The request timeout wins the race with a DONE that comes late.
        assertTrue(pool.claim(lease.request(), HandlerExit.timeout(30_000), System.nanoTime()));
        pool.apply(lease.request(), HandlerExit.timeout(30_000));
        pool.finished(lease, 0);
        assertFalse(pool.claim(lease.request(), HandlerExit.ofStatus(0), System.nanoTime()), "ended once");
        assertEquals(List.of(HandlerExit.timeout(30_000)), ended);
        assertEquals(1, pool.counters().handlerExits.get(HandlerExit.Cause.TIMEOUT).sum());
        assertEquals(0, pool.counters().handlerExits.get(HandlerExit.Cause.OK).sum());

        // The next request on the same slot is a request of its own: its end is its own.
        assertTrue(pool.take(s));
        Lease next = pool.lease(s, false, System.nanoTime());
        pool.taken(next);
        pool.handedOff(next, ended::add);
        assertEquals(1, ended.size(), "not ended at hand-off by the last request's outcome");
        pool.finished(next, 3);
        assertEquals(HandlerExit.Cause.ERROR, ended.get(1).cause());
        assertEquals(Set.of(), s.running(), "nothing runs once both ended");
    }

    @Test
    void aContainerThatExitedBeforeTheHandOffFinishedEndsTheClientWhenItIsHeld(@TempDir Path tmp) throws Exception {
        FunctionPool pool = pool(1, 4);
        Slot s = warmSlot(pool);
        withControlConnection(s, tmp.resolve("s"));
        assertTrue(pool.take(s));
        Lease lease = pool.lease(s, false, System.nanoTime());
        pool.taken(lease);
        // The owner saw the container exit (oneshot: the handler ran and died) before the dispatcher held the client.
        assertTrue(pool.claim(lease.request(), HandlerExit.ofStatus(139), System.nanoTime()));
        pool.apply(lease.request(), HandlerExit.ofStatus(139));
        List<HandlerExit> ended = new CopyOnWriteArrayList<>();
        pool.handedOff(lease, ended::add);
        assertEquals(List.of(HandlerExit.ofStatus(139)), ended);
    }

    @Test
    void aRequestTakenAfterItsContainerWasRemovedEndsItself(@TempDir Path tmp) throws Exception {
        FunctionPool pool = pool(1, 4);
        Slot s = warmSlot(pool);
        withControlConnection(s, tmp.resolve("s"));
        assertTrue(pool.take(s));
        Lease lease = pool.lease(s, false, System.nanoTime());
        s.retire();
        s.markRemoved(); // the container went away while its ACK was on its way
        pool.taken(lease);
        List<HandlerExit> ended = new CopyOnWriteArrayList<>();
        pool.handedOff(lease, ended::add);
        assertEquals(1, ended.size());
        assertEquals(HandlerExit.Cause.LOST, ended.get(0).cause());
    }

    /** {@code concurrency: 3}: a slot takes three hand-offs, stays busy until the last ends, then is warm. */
    @Test
    void aSlotWithConcurrencyTakesUpToItsCapacityAndIsWarmOnceTheLastEnds(@TempDir Path tmp) throws Exception {
        FunctionSpec spec = Specs.function("api").mode(HandlerMode.PERSISTENT).concurrency(3).min(1).max(4).build();
        FunctionPool pool = new FunctionPool(spec, owner, new FunctionLatency("api"));
        Slot s = warmSlot(pool);
        s.capacity(3);
        withControlConnection(s, tmp.resolve("s"));
        List<Lease> leases = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            assertTrue(pool.take(s));
            Lease l = pool.lease(s, false, System.nanoTime());
            pool.taken(l);
            leases.add(l);
            assertEquals(SlotState.BUSY, s.state());
            assertEquals(i < 2, pool.hasRoom(s), "room for " + (2 - i) + " more");
        }
        assertTrue(pool.finished(leases.get(1), 0), "room again: the dispatcher may hand it the next");
        assertEquals(SlotState.BUSY, s.state(), "two still run");
        assertTrue(pool.finished(leases.get(0), 0));
        assertTrue(pool.finished(leases.get(2), 0));
        assertEquals(SlotState.WARM, s.state(), "idle once the last ended");
        assertEquals(3, pool.counters().handlerExits.get(HandlerExit.Cause.OK).sum());
        assertEquals(3, s.uses());
    }

    @Test
    void containersToStartCountConnectionsPerContainer() {
        FunctionSpec spec = Specs.function("api").mode(HandlerMode.PERSISTENT).concurrency(4).min(0).max(50).build();
        // 9 requests wait beside 2 full containers: 3 more containers of 4 each, not 9.
        assertEquals(3, PoolPlan.toStart(spec, 0, 9, false, 0, 0, 2, 0));
        assertEquals(1, PoolPlan.toStart(spec, 0, 4, false, 0, 0, 2, 0));
        assertEquals(0, PoolPlan.toStart(spec, 0, 0, false, 0, 0, 2, 0));
    }

    @Test
    void countCountsTheSlotsInAState() {
        FunctionPool pool = pool(2, 16);
        Slot starting = slot(pool);
        Slot warm = warmSlot(pool);
        Slot busy = warmSlot(pool);
        busy.transition(SlotState.WARM, SlotState.BUSY);
        Slot alsoWarm = warmSlot(pool);
        for (Slot s : List.of(starting, warm, busy, alsoWarm)) {
            pool.slots().put(s.id(), s);
        }
        assertEquals(1, pool.count(SlotState.STARTING));
        assertEquals(2, pool.count(SlotState.WARM));
        assertEquals(1, pool.count(SlotState.BUSY));
        assertEquals(0, pool.count(SlotState.RETIRED));
    }

    @Test
    void aContainerAboutToBeRecycledHasItsReplacementStartedAheadAndGoesOnceItIsWarm() {
        int maxUses = 1000;
        FunctionSpec fork = Specs.function("hello").mode(HandlerMode.FORK).min(1).max(4).maxUses(maxUses).build();
        FunctionPool pool = new FunctionPool(fork, owner, new FunctionLatency("hello"));
        Slot old = warmSlot(pool);
        pool.slots().put(old.id(), old);
        for (int i = 0; i < maxUses - PoolPlan.recycleAhead(maxUses) - 1; i++) {
            old.used();
        }
        assertEquals(List.of(), plan(pool).decisions(), "min 1, and one warm");

        old.used(); // within recycleAhead uses of max-uses
        assertEquals(List.of(new Decision.Start("hello", 1)), plan(pool).decisions(),
                "its replacement starts while it still serves, and it is not recycled before that one is warm");

        Slot replacement = warmSlot(pool);
        pool.slots().put(replacement.id(), replacement);
        List<Decision> once = plan(pool).decisions();
        assertEquals(1, once.size(), once.toString());
        Decision.Retire r = (Decision.Retire) once.get(0);
        assertEquals(old.id(), r.slot(), "the replacement is warm: the old one may go before its last uses");
        assertEquals(Decision.Why.RECYCLED, r.why());

        FunctionSpec oneshot = pool(1, 4).spec();
        assertFalse(PoolPlan.expiring(oneshot, maxUses), "oneshot containers are used once whatever max-uses says");

        FunctionSpec forkOnce = Specs.function("hello").mode(HandlerMode.FORK).min(1).max(4).maxUses(1).build();
        FunctionPool single = new FunctionPool(forkOnce, owner, new FunctionLatency("hello"));
        Slot fresh = warmSlot(single);
        single.slots().put(fresh.id(), fresh);
        assertFalse(PoolPlan.expiring(forkOnce, fresh.uses()), "max-uses 1: a slot not yet used is not expiring");
        assertEquals(List.of(), plan(single).decisions(), "so it does not call for a replacement");
    }

    // ---- helpers ----

    /** What the owner's periodic tick would decide for {@code pool} now. */
    private static PoolPlan.Plan plan(FunctionPool pool) {
        long now = System.nanoTime();
        return PoolPlan.decide(List.of(pool.view(pool.spec().name(), now)), dev.faaspool.config.PoolConfig.Host.DEFAULT,
                now, java.time.ZonedDateTime.now(), 0, true);
    }

    /** What the plan starts for {@code pool} at these counts, with no traffic seen (its sizing rule). */
    private static int wanted(FunctionPool pool, int starting, int warm, int busy, int expiring) {
        return PoolPlan.toStart(pool.spec(), pool.snapshot().target(), pool.waiting(), false, starting, warm, busy, expiring);
    }

    private FunctionPool pool(int warm, int max) {
        FunctionSpec spec = Specs.function("hello").mode(HandlerMode.ONESHOT).min(warm).max(max).build();
        return new FunctionPool(spec, owner, new FunctionLatency("hello"));
    }

    private Slot slot(FunctionPool pool) {
        return new Slot("hello-" + ++nextSlot, pool.spec().name(), System.nanoTime());
    }

    private Slot warmSlot(FunctionPool pool) {
        return warmSlot(pool, "hello-" + ++nextSlot);
    }

    private static Slot warmSlot(FunctionPool pool, String id) {
        Slot s = new Slot(id, pool.spec().name(), System.nanoTime());
        assertTrue(s.transition(SlotState.STARTING, SlotState.WARM));
        return s;
    }

    /** Gives {@code s} a real control connection, as the launcher does before the slot becomes warm. */
    private void withControlConnection(Slot s, Path dir) throws IOException {
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        int gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        ControlEndpoint endpoint = ControlEndpoint.open(dir, uid, gid);
        opened.add(endpoint);
        s.endpoint(endpoint);
        opened.add(AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(dir.resolve(ControlEndpoint.SOCKET_NAME))));
        ControlConnection control = endpoint.accept(Duration.ofSeconds(5));
        opened.add(control);
        s.control(control);
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(1);
        }
    }

    /** @param afterRemoval whether the caller waits for the container's removal (a connection to go elsewhere) */
    record Retirement(FunctionPool pool, Slot slot, String reason, boolean afterRemoval) {}

    /** Records what a FunctionPool asks of its owner. */
    static final class RecordingOwner implements SlotOwner {
        final AtomicInteger reconciles = new AtomicInteger();
        final List<Retirement> retired = new CopyOnWriteArrayList<>();
        final List<HandlerExit> ends = new CopyOnWriteArrayList<>();

        @Override
        public void requestReconcile() {
            reconciles.incrementAndGet();
        }

        @Override
        public void retire(FunctionPool fp, Slot s, String reason, HandlerExit end, Runnable removed) {
            retired.add(new Retirement(fp, s, reason, removed != null));
            if (end != null) {
                ends.add(end);
            }
        }
    }
}
