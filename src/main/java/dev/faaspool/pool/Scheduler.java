package dev.faaspool.pool;

import java.time.Duration;

/**
 * Where the pool's owner runs its work: one task at a time, in the order given, on one thread (the
 * pool's single writer of its slot sets, see {@link Pool}). A seam, as Caffeine's {@code Scheduler}:
 * production runs tasks on a thread ({@link OwnerThread}), tests and the trace replay run them in virtual
 * time.
 *
 * <p>Every task is named (a small fixed set: the names are metric labels) and guarded: what it throws
 * is logged and counted ({@code faas_internal_errors_total{task}}), never thrown to the scheduler, and a
 * periodic task runs again at its next period. A task given after {@link #close} is dropped.
 */
public interface Scheduler extends AutoCloseable {
    /** Runs {@code body} soon, after the tasks given before it. Any thread. */
    void execute(String task, Runnable body);

    /** Runs {@code body} once {@code delay} has passed on the pool's {@link Ticker}. Any thread. */
    void schedule(String task, Duration delay, Runnable body);

    /** Runs {@code body} after {@code first}, then again {@code period} after each run ends, until closed. */
    void every(String task, Duration first, Duration period, Runnable body);

    /** Whether the calling thread is the one that runs the tasks. */
    boolean inOwner();

    /** Stops: the task running finishes, queued and future ones are dropped. */
    @Override
    void close();
}
