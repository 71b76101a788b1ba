package dev.faaspool.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.metrics.TaskGuard;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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

    /**
     * Producers racing the loop's wake-up: each waits for its own tasks before it queues more, so
     * the loop sleeps and is woken again and again, with the other producer's signal landing anywhere
     * in the loop's handling of the eventfd. A lost wake-up leaves a task queued and the loop asleep.
     */
    @Test
    void noWakeUpIsLostWhileProducersRaceTheLoop() throws Exception {
        try (EventLoop loop = new EventLoop("t", System::nanoTime, new TaskGuard())) {
            int rounds = 2_000;
            Thread[] producers = new Thread[2];
            AtomicReference<String> lost = new AtomicReference<>();
            for (int p = 0; p < producers.length; p++) {
                producers[p] = new Thread(() -> {
                    for (int i = 0; i < rounds && lost.get() == null; i++) {
                        // A burst, then a wait: the burst's signals land while the loop handles the
                        // first, the wait lets it fall asleep.
                        CountDownLatch ran = new CountDownLatch(1);
                        for (int b = i % 64; b > 0; b--) {
                            loop.execute(() -> { });
                        }
                        loop.execute(ran::countDown);
                        try {
                            if (!ran.await(2, TimeUnit.SECONDS)) {
                                lost.compareAndSet(null, "task " + i + " of " + Thread.currentThread().getName() + " never ran");
                            }
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "producer-" + p);
                producers[p].start();
            }
            for (Thread t : producers) {
                t.join();
            }
            assertEquals(null, lost.get());
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
