package dev.faaspool.pool;

import dev.faaspool.metrics.TaskGuard;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The production {@link Scheduler}: one daemon thread, every task through the {@link TaskGuard} (a
 * {@code ScheduledExecutorService} silently cancels a periodic task that throws once). Its delays are
 * {@link System#nanoTime()}'s, so it goes with {@link Ticker#system()}.
 */
final class OwnerThread implements Scheduler {
    private final ScheduledThreadPoolExecutor executor;
    private final TaskGuard guard;
    private volatile Thread thread;

    OwnerThread(String name, TaskGuard guard) {
        this.guard = guard;
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            thread = t;
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
    }

    @Override
    public void execute(String task, Runnable body) {
        try {
            executor.execute(guard.guard(task, body));
        } catch (RejectedExecutionException e) {
            // Closed: the pool is stopping, and close() does what these tasks would.
        }
    }

    @Override
    public void schedule(String task, Duration delay, Runnable body) {
        try {
            executor.schedule(guard.guard(task, body), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // Closed, as above.
        }
    }

    @Override
    public void every(String task, Duration first, Duration period, Runnable body) {
        try {
            executor.scheduleWithFixedDelay(guard.guard(task, body), first.toNanos(), period.toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // Closed, as above.
        }
    }

    @Override
    public boolean inOwner() {
        return Thread.currentThread() == thread;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
