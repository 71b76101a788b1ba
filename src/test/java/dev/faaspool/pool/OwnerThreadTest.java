package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.metrics.TaskGuard;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OwnerThreadTest {
    @Test
    void aPeriodicTaskThatThrowsIsCountedAndRunsAgain() throws Exception {
        TaskGuard guard = new TaskGuard();
        try (OwnerThread owner = new OwnerThread("test-owner", guard)) {
            AtomicInteger runs = new AtomicInteger();
            CountDownLatch again = new CountDownLatch(1);
            owner.every("tick", Duration.ZERO, Duration.ofMillis(5), () -> {
                if (runs.incrementAndGet() <= 2) {
                    throw new IllegalStateException("a bug in the tick");
                }
                again.countDown();
            });
            assertTrue(again.await(5, TimeUnit.SECONDS), "a ScheduledExecutorService alone stops after the first throw");
            assertEquals(2, guard.counts().get("tick"));
        }
    }

    @Test
    void tasksRunInOrderOnTheOwnerAndNotAfterClose() throws Exception {
        TaskGuard guard = new TaskGuard();
        OwnerThread owner = new OwnerThread("test-owner", guard);
        AtomicBoolean onOwner = new AtomicBoolean();
        StringBuilder order = new StringBuilder();
        CountDownLatch done = new CountDownLatch(1);
        owner.execute("a", () -> order.append('a'));
        owner.execute("b", () -> {
            order.append('b');
            onOwner.set(owner.inOwner());
            done.countDown();
        });
        assertTrue(done.await(5, TimeUnit.SECONDS));
        assertEquals("ab", order.toString());
        assertTrue(onOwner.get());
        assertTrue(!owner.inOwner(), "the test's thread is not the owner");
        owner.close();
        owner.execute("late", () -> order.append('x')); // dropped, not thrown
        owner.schedule("late", Duration.ZERO, () -> order.append('x'));
        Thread.sleep(50);
        assertEquals("ab", order.toString());
    }
}
