package dev.faaspool.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.metrics.TaskGuard;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EventLoopTest {

    @Test
    void tasksFromOtherThreadsRunInOrderAndCloseIsQuick() throws Exception {
        List<Integer> ran = new CopyOnWriteArrayList<>();
        long t0;
        try (EventLoop loop = new EventLoop("t", System::nanoTime, new TaskGuard())) {
            CountDownLatch done = new CountDownLatch(1);
            for (int i = 0; i < 100; i++) {
                int n = i;
                loop.execute(() -> ran.add(n));
            }
            loop.execute(done::countDown);
            assertTrue(done.await(5, TimeUnit.SECONDS));
            t0 = System.nanoTime();
        }
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1), "closed in " + (System.nanoTime() - t0) / 1e6 + " ms");
        assertEquals(100, ran.size());
        for (int i = 0; i < 100; i++) {
            assertEquals(i, ran.get(i));
        }
    }

    @Test
    void timersFireInDeadlineOrderAndCancelledOnesDoNot() throws Exception {
        TaskGuard guard = new TaskGuard();
        List<String> fired = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        try (EventLoop loop = new EventLoop("t", System::nanoTime, guard)) {
            loop.execute(() -> {
                long now = loop.now();
                loop.schedule(now + 30_000_000, () -> fired.add("b"));
                loop.schedule(now + 10_000_000, () -> fired.add("a"));
                loop.schedule(now + 20_000_000, () -> fired.add("x")).cancel();
                loop.schedule(now + 25_000_000, () -> {
                    throw new IllegalStateException("a failing timer is counted, the loop goes on");
                });
                loop.schedule(now + 40_000_000, done::countDown);
            });
            assertTrue(done.await(5, TimeUnit.SECONDS));
        }
        assertEquals(List.of("a", "b"), fired);
        assertEquals(1L, guard.counts().get("event-loop"));
    }
}
