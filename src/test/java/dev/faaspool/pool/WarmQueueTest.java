package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WarmQueueTest {
    private final WarmQueue queue = new WarmQueue();
    private int n;

    private Slot warmSlot() {
        Slot s = new Slot("f-" + (++n), "f", System.nanoTime());
        assertTrue(s.transition(SlotState.STARTING, SlotState.WARM));
        return s;
    }

    private static long in(long millis) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** Starts a request that waits; returns once it is queued. */
    private CompletableFuture<WarmQueue.Taken> waitingRequest(int expectedWaiting) throws InterruptedException {
        CountDownLatch queued = new CountDownLatch(1);
        CompletableFuture<WarmQueue.Taken> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(queue.take(in(10_000), queued::countDown));
            } catch (InterruptedException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        t.setDaemon(true);
        t.start();
        assertTrue(queued.await(5, TimeUnit.SECONDS));
        assertEquals(expectedWaiting, queue.waiting());
        return f;
    }

    @Test
    void anIdleSlotIsTakenAtOnceAndBecomesBusy() throws Exception {
        Slot s = warmSlot();
        queue.offer(s);
        WarmQueue.Taken t = queue.take(in(0), () -> { throw new AssertionError("must not wait"); });
        assertSame(s, t.slot());
        assertFalse(t.waited());
        assertEquals(SlotState.BUSY, s.state());
    }

    @Test
    void idleSlotsAreTakenLastInFirstOut() throws Exception {
        Slot older = warmSlot();
        Slot newer = warmSlot();
        queue.offer(older);
        queue.offer(newer);
        assertSame(newer, queue.take(in(0), () -> { }).slot());
        assertSame(older, queue.take(in(0), () -> { }).slot());
    }

    @Test
    void waitingRequestsAreServedInArrivalOrder() throws Exception {
        CompletableFuture<WarmQueue.Taken> first = waitingRequest(1);
        CompletableFuture<WarmQueue.Taken> second = waitingRequest(2);
        Slot a = warmSlot();
        queue.offer(a);
        WarmQueue.Taken t = first.get(5, TimeUnit.SECONDS);
        assertSame(a, t.slot());
        assertTrue(t.waited());
        assertFalse(second.isDone());
        Slot b = warmSlot();
        queue.offer(b);
        assertSame(b, second.get(5, TimeUnit.SECONDS).slot());
        assertEquals(0, queue.waiting());
    }

    @Test
    void aNewRequestDoesNotOvertakeOneThatWaits() throws Exception {
        CompletableFuture<WarmQueue.Taken> waiter = waitingRequest(1);
        Slot s = warmSlot();
        queue.offer(s); // goes to the waiter, not to the idle slots
        assertSame(s, waiter.get(5, TimeUnit.SECONDS).slot());
        assertNull(queue.take(in(50), () -> { }), "the newcomer finds nothing idle");
    }

    @Test
    void aRetiredSlotIsNeverHandedOut() throws Exception {
        Slot retired = warmSlot();
        queue.offer(retired);
        retired.retire();
        assertNull(queue.take(in(20), () -> { }));

        CompletableFuture<WarmQueue.Taken> waiter = waitingRequest(1);
        Slot retiredToo = warmSlot();
        retiredToo.retire();
        queue.offer(retiredToo);
        Slot good = warmSlot();
        queue.offer(good);
        assertSame(good, waiter.get(5, TimeUnit.SECONDS).slot());
    }

    @Test
    void aRequestGivesUpAtItsDeadlineAndLeavesTheQueue() throws Exception {
        long t0 = System.nanoTime();
        assertNull(queue.take(in(100), () -> { }));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(100));
        assertEquals(0, queue.waiting());
        Slot s = warmSlot();
        queue.offer(s);
        assertEquals(SlotState.WARM, s.state(), "nobody waits: the slot stays idle");
    }
}
