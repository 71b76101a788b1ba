package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.runtime.FakeRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool's rules, run by the real {@link Pool} (plan, owner, launcher, retirement) without Docker: on a
 * {@link FakeRuntime} whose containers say hello over real Unix sockets, in virtual time. The dispatcher's
 * part is played by the test, through {@link FunctionPool}'s methods, as {@code FunctionDispatch} calls them.
 */
class PoolTest {
    @TempDir
    Path tmp;

    private static String function(String name, String mode, String pool, String more) {
        return """
                  %s:
                    image: faas-hello:latest
                    listen: 127.0.0.1:%d
                    mode: %s
                    pool:
                %s
                %s""".formatted(name, 18000 + Math.floorMod(name.hashCode(), 1000), mode, indent(pool, 6), more == null ? "" : indent(more, 4));
    }

    private static String indent(String lines, int n) {
        return lines.lines().map(l -> " ".repeat(n) + l).reduce((a, b) -> a + "\n" + b).orElse("");
    }

    private static String config(String... functions) {
        return "functions:\n" + String.join("\n", functions) + "\n";
    }

    @Test
    void aFunctionWarmsUpToItsMinimum() throws Exception {
        try (PoolHarness h = new PoolHarness(tmp, config(function("hello", "fork", "min: 3\nmax: 5\nscaling: fixed", null)))) {
            FunctionPool fp = h.fn("hello");
            h.await("three warm", () -> fp.count(SlotState.WARM) == 3);
            assertEquals(3, h.runtime.running().size());
            assertFalse(Pool.warmEnough(fp), "ready only once a dispatcher has them");
            h.owner.runDue();
            assertEquals(3, h.runtime.created(), "no more than the minimum");
        }
    }

    @Test
    void aKilledWarmContainerIsReplacedAndFailingStartsBackOff() throws Exception {
        String yaml = config(function("hello", "fork", "min: 1\nmax: 2\nscaling: fixed", "timeouts:\n  start: 2s"));
        try (PoolHarness h = new PoolHarness(tmp, yaml)) {
            FunctionPool fp = h.fn("hello");
            h.await("warm", () -> fp.count(SlotState.WARM) == 1);
            String first = h.runtime.running().get(0);
            h.runtime.kill(first);
            h.await("replaced", () -> h.runtime.removed().contains(first) && fp.count(SlotState.WARM) == 1);
            assertEquals(1, fp.counters().recycledFailed.sum());

            h.runtime.planDefault(FakeRuntime.Boot.exitBeforeHello(3));
            h.runtime.kill(h.runtime.running().get(0));
            h.await("a start failed", () -> fp.counters().startFailures.sum() == 1);
            int created = h.runtime.created();
            long until = System.nanoTime() + 200_000_000L;
            while (System.nanoTime() < until) {
                h.owner.runDue();
                Thread.sleep(5);
            }
            assertEquals(created, h.runtime.created(), "no start before the backoff's 2 s have passed");
            h.advance(Duration.ofMillis(2100));
            h.await("the probe failed too", () -> fp.counters().startFailures.sum() == 2);
            assertEquals(created + 1, h.runtime.created(), "one start at a time while failing");

            h.runtime.planDefault(FakeRuntime.Boot.hello());
            h.advance(Duration.ofMillis(4100)); // the backoff doubled
            h.await("warm again", () -> fp.count(SlotState.WARM) == 1);
            assertEquals(created + 2, h.runtime.created());
        }
    }

    @Test
    void aStartThatNeverSaysHelloIsReplacedAfterTheStartTimeout() throws Exception {
        String yaml = config(function("hello", "fork", "min: 1\nmax: 2\nscaling: fixed", "timeouts:\n  start: 300ms"));
        try (PoolHarness h = new PoolHarness(tmp, yaml, FakeRuntime.Boot.hang())) {
            FunctionPool fp = h.fn("hello");
            h.await("the silent start given up", () -> fp.counters().startFailures.sum() == 1
                    && h.runtime.removed().size() == 1);
            assertEquals(0, fp.count(SlotState.WARM));
            h.advance(Duration.ofMillis(2050)); // the backoff: its start's own deadline is in virtual time too
            h.await("a replacement warm", () -> fp.count(SlotState.WARM) == 1);
            assertEquals(1, h.runtime.running().size());
        }
    }

    @Test
    void aRequestPastItsTimeoutHasItsContainerRemoved() throws Exception {
        String yaml = config(function("hello", "fork", "min: 1\nmax: 2\nscaling: fixed", "timeouts:\n  request: 5s"));
        try (PoolHarness h = new PoolHarness(tmp, yaml)) {
            FunctionPool fp = h.fn("hello");
            h.await("warm", () -> fp.count(SlotState.WARM) == 1);
            Slot s = fp.slots().values().iterator().next();
            String container = s.containerId();
            Lease lease = take(h, fp, s);
            h.advance(Duration.ofSeconds(4));
            h.owner.runDue();
            assertFalse(h.runtime.removed().contains(container), "within its timeout");
            h.advance(Duration.ofSeconds(2));
            h.await("removed", () -> h.runtime.removed().contains(container));
            h.await("the request ended as timed out",
                    () -> fp.counters().handlerExits.get(HandlerExit.Cause.TIMEOUT).sum() == 1);
            assertEquals(1, fp.counters().recycledTimeout.sum());
            assertFalse(fp.finished(lease, 0), "a DONE that comes after the timeout changes nothing");
            assertEquals(0, fp.counters().handlerExits.get(HandlerExit.Cause.OK).sum());
            h.await("a replacement warm", () -> fp.count(SlotState.WARM) == 1);
        }
    }

    @Test
    void closingWaitsForRunningRequestsThenRemovesEverything() throws Exception {
        String yaml = config(function("hello", "fork", "min: 2\nmax: 2\nscaling: fixed", null));
        PoolHarness h = new PoolHarness(tmp, yaml);
        try {
            FunctionPool fp = h.fn("hello");
            h.await("warm", () -> fp.count(SlotState.WARM) == 2);
            List<Slot> slots = new ArrayList<>(fp.slots().values());
            Lease finishing = take(h, fp, slots.get(0));
            Lease stuck = take(h, fp, slots.get(1));
            Thread closer = new Thread(() -> h.pool.close(Duration.ofSeconds(30)));
            closer.start();
            Thread.sleep(200);
            assertTrue(closer.isAlive(), "it drains");
            assertEquals(2, h.runtime.running().size(), "nothing removed while requests run");
            fp.finished(finishing, 0);
            Thread.sleep(100);
            assertTrue(closer.isAlive(), "one still runs");
            h.ticker.advance(Duration.ofSeconds(31)); // the drain's time is up
            closer.join(10_000);
            assertFalse(closer.isAlive(), "closed");
            assertEquals(List.of(), h.runtime.running());
            assertEquals(2, h.runtime.removed().size());
            assertEquals(1, fp.counters().handlerExits.get(HandlerExit.Cause.OK).sum());
            assertEquals(1, fp.counters().handlerExits.get(HandlerExit.Cause.LOST).sum(), "stopped: " + stuck);
            assertTrue(fp.slots().isEmpty());
        } finally {
            h.close();
        }
    }

    @Test
    void anIdleContainerRetiresAfterTheIdleTtl() throws Exception {
        String yaml = config(function("hello", "fork", "min: 0\nmax: 2\nidle-ttl: 10s", null));
        try (PoolHarness h = new PoolHarness(tmp, yaml)) {
            FunctionPool fp = h.fn("hello");
            h.await("warm for its first request", () -> fp.count(SlotState.WARM) == 1);
            h.advance(Duration.ofSeconds(9));
            assertEquals(1, fp.count(SlotState.WARM), "kept for the idle TTL: " + fp.snapshot().targetReason());
            h.advance(Duration.ofSeconds(2));
            h.await("retired", () -> fp.count(SlotState.WARM) == 0 && h.runtime.running().isEmpty());
            assertEquals(1, fp.counters().recycledIdle.sum());
            h.advance(Duration.ofSeconds(30));
            assertEquals(1, h.runtime.created(), "scaled to zero, and stays there without traffic");
        }
    }

    @Test
    void waitingRequestsTakeAnotherFunctionsIdleContainerWithinTheMemoryBudget() throws Exception {
        String yaml = "host:\n  memory: 128m\n" + config(
                function("a", "fork", "min: 0\ninitial: 2\nmax: 4", "limits:\n  memory: 64m"),
                function("b", "fork", "min: 0\ninitial: 0\nmax: 4", "limits:\n  memory: 64m"));
        try (PoolHarness h = new PoolHarness(tmp, yaml)) {
            FunctionPool a = h.fn("a");
            FunctionPool b = h.fn("b");
            h.await("a warm", () -> a.count(SlotState.WARM) == 2);
            assertEquals(0, b.count(SlotState.WARM) + b.count(SlotState.STARTING));
            b.waiting(1); // as b's dispatcher publishes it
            h.await("b warm", () -> b.count(SlotState.WARM) == 1);
            assertEquals(1, a.count(SlotState.WARM));
            assertEquals(1, a.counters().recycledIdle.sum());
            b.waiting(0);
            h.advance(Duration.ofSeconds(5));
            assertEquals(1, a.count(SlotState.WARM) + a.count(SlotState.STARTING),
                    "a's target alone takes nothing back: the budget is full");
            assertEquals(3, h.runtime.created());
        }
    }

    @Test
    void aTaskThatThrowsIsCountedAndThePoolGoesOn() throws Exception {
        try (PoolHarness h = new PoolHarness(tmp, config(function("hello", "fork", "min: 1\nmax: 2\nscaling: fixed", null)))) {
            FunctionPool fp = h.fn("hello");
            AtomicInteger calls = new AtomicInteger();
            List<Slot> got = new CopyOnWriteArrayList<>();
            fp.dispatchTo(s -> {
                if (calls.incrementAndGet() == 1) {
                    throw new IllegalStateException("a dispatcher bug");
                }
                got.add(s);
            });
            h.await("a warm slot reached the dispatcher", () -> !got.isEmpty());
            assertEquals(1, h.guard.counts().get("launch"), "the failure is counted");
            h.await("the slot it failed on removed", () -> h.runtime.removed().size() == 1);
            h.advance(Duration.ofSeconds(3));
            assertEquals(1, fp.count(SlotState.WARM), "and the tick still runs");
        }
    }

    @Test
    void aReloadResizesAndKeepsTheContainersOfAnUnchangedDefinition() throws Exception {
        String small = config(function("hello", "fork", "min: 1\nmax: 5\nscaling: fixed\nidle-ttl: 20s", null));
        String large = config(function("hello", "fork", "min: 3\nmax: 5\nscaling: fixed\nidle-ttl: 20s", null));
        try (PoolHarness h = new PoolHarness(tmp, small)) {
            FunctionPool fp = h.fn("hello");
            h.await("warm", () -> fp.count(SlotState.WARM) == 1);
            String first = h.runtime.running().get(0);
            assertEquals(java.util.Map.of(), h.pool.apply(h.config(large), java.util.Map.of()));
            h.await("three warm", () -> fp.count(SlotState.WARM) == 3);
            h.pool.apply(h.config(small), java.util.Map.of());
            h.advance(Duration.ofSeconds(21));
            h.await("back to one", () -> fp.count(SlotState.WARM) == 1 && h.runtime.running().size() == 1);
            assertEquals(2, fp.counters().recycledIdle.sum());
            assertTrue(h.runtime.running().contains(first) || h.runtime.removed().contains(first));
            assertEquals(3, h.runtime.created(), "the definition did not change: no container was replaced");
        }
    }

    @Test
    void aRetaggedImageRollsEveryWarmSlotWithoutTheWarmCountDropping() throws Exception {
        String yaml = config(function("hello", "fork", "min: 3\nmax: 6\nscaling: fixed", "timeouts:\n  request: 1h"));
        try (PoolHarness h = new PoolHarness(tmp, yaml)) {
            FunctionPool fp = h.fn("hello");
            String old = h.runtime.imageId("faas-hello:latest");
            h.await("three warm", () -> fp.count(SlotState.WARM) == 3);
            assertEquals(old, fp.imageId());
            for (String id : h.runtime.running()) {
                assertEquals(old, h.runtime.imageIdOf(id));
                assertEquals(old, h.runtime.spec(id).image(), "created by ID, not by tag");
            }
            Slot busyOld = fp.slots().values().iterator().next();
            Lease lease = take(h, fp, busyOld);

            h.runtime.tag("faas-hello:latest", "sha256:rebuilt");
            int leastWarm = Integer.MAX_VALUE;
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!(fp.count(SlotState.WARM) == 3 && fp.count(SlotState.STARTING) == 0
                    && fp.slots().values().stream().filter(s -> s.state() == SlotState.WARM)
                            .allMatch(s -> "sha256:rebuilt".equals(s.imageId())))) {
                assertTrue(System.nanoTime() < deadline, "rolled within 20 s: " + fp.slots().values());
                h.advance(Duration.ofMillis(20));
                leastWarm = Math.min(leastWarm, fp.count(SlotState.WARM));
                Thread.sleep(1);
            }
            assertTrue(leastWarm >= 2, "never fewer warm than the two idle ones before the roll: " + leastWarm);
            assertEquals(4, fp.slots().size(), "three new warm ones and the busy old one: " + fp.slots().values());
            assertEquals("sha256:rebuilt", fp.imageId());
            assertEquals(SlotState.BUSY, busyOld.state(), "a busy old one finishes its request");

            assertFalse(fp.finished(lease, 0), "an old-image slot is not reused after its request");
            h.await("the busy one retired", () -> h.runtime.removed().contains(busyOld.containerId()));
            assertEquals(3, fp.count(SlotState.WARM), "its replacement was warm before it went");
            // The old idle ones are removed by the reaper, after they left the pool: wait for it, not for luck.
            h.await("every container is of the new image", () -> h.runtime.running().stream()
                    .allMatch(id -> "sha256:rebuilt".equals(h.runtime.imageIdOf(id))));
            assertEquals(3, h.runtime.running().size());
            assertEquals(3, fp.counters().recycledImage.sum(), "two idle ones and the busy one, counted as image");
            assertEquals(0, fp.counters().recycledUsed.sum());
        }
    }

    /** What the dispatcher does with a warm slot for a connection accepted now: take, lease, hand-off ACKed. */
    private static Lease take(PoolHarness h, FunctionPool fp, Slot s) {
        assertTrue(fp.take(s), "taken");
        Lease lease = fp.lease(s, false, h.ticker.read());
        fp.taken(lease);
        return lease;
    }
}
