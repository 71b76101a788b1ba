package dev.faaspool.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TaskGuardTest {

    @Test
    void aPeriodicTaskThatThrowsKeepsRunningAndIsCounted() throws Exception {
        TaskGuard guard = new TaskGuard();
        AtomicInteger runs = new AtomicInteger();
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            // Unguarded, the first exception would cancel the task for good, silently.
            timer.scheduleWithFixedDelay(guard.guard("tick", () -> {
                if (runs.incrementAndGet() % 2 == 1) {
                    throw new IllegalStateException("boom " + runs.get());
                }
            }), 0, 1, TimeUnit.MILLISECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (runs.get() < 20 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        } finally {
            timer.shutdownNow();
        }
        assertTrue(runs.get() >= 20, "the task ran on after failing: " + runs.get());
        assertTrue(guard.counts().get("tick") >= 10, guard.counts().toString());
    }

    @Test
    void errorsAreCaughtTooAndCountedByTask() {
        TaskGuard guard = new TaskGuard(() -> 0L);
        guard.run("a", "fn slot-1", () -> {
            throw new StackOverflowError();
        });
        guard.run("a", "", () -> {
            throw new IllegalArgumentException();
        });
        guard.run("b", "", () -> { });
        assertEquals(Map.of("a", 2L), guard.counts());
    }
}
