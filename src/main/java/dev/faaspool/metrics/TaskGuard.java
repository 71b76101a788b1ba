package dev.faaspool.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the pool's own tasks alive: a periodic task that throws is cancelled for good, silently, by a
 * {@code ScheduledExecutorService}, and a task that throws on a plain executor takes its thread's
 * stack trace to stderr and nothing else. Through a guard, whatever a task throws is counted by task
 * ({@code faas_internal_errors_total{task}}), logged with its context (function, slot) and the
 * stack trace the first time, then at most once a minute per task with the count, and the task runs
 * again at its next period.
 *
 * <p>Task names are a small fixed set (they are metric labels); the context says which function or slot.
 */
public final class TaskGuard {
    private static final Logger log = LoggerFactory.getLogger(TaskGuard.class);
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;

    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastLogged = new ConcurrentHashMap<>();
    private final LongSupplier ticker;

    public TaskGuard() {
        this(System::nanoTime);
    }

    /** @param ticker monotonic nanoseconds, for the rate of repeated log lines */
    public TaskGuard(LongSupplier ticker) {
        this.ticker = ticker;
    }

    /** {@code task} that cannot throw. */
    public Runnable guard(String task, Runnable body) {
        return () -> run(task, "", body);
    }

    /** Runs {@code body} now; what it throws is counted and logged, not thrown. */
    public void run(String task, String context, Runnable body) {
        try {
            body.run();
        } catch (Throwable t) {
            failed(task, context, t);
        }
    }

    /** Counts and logs a failure of {@code task} caught elsewhere. */
    public void failed(String task, String context, Throwable t) {
        LongAdder n = errors.computeIfAbsent(task, k -> new LongAdder());
        n.increment();
        long now = ticker.getAsLong();
        AtomicLong last = lastLogged.computeIfAbsent(task, k -> new AtomicLong(Long.MIN_VALUE));
        long before = last.get();
        String where = context.isEmpty() ? task : task + " (" + context + ")";
        if (before == Long.MIN_VALUE) {
            if (last.compareAndSet(before, now)) {
                log.error("internal error in {}; it runs again next time", where, t);
            }
        } else if (now - before >= LOG_EVERY_NANOS && last.compareAndSet(before, now)) {
            log.error("internal error in {} ({} so far): {}", where, n.sum(), t.toString());
        }
    }

    /** Failures so far by task, in name order. */
    public Map<String, Long> counts() {
        Map<String, Long> out = new TreeMap<>();
        errors.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
