package dev.faaspool.pool;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Worker threads for virtual time, one running at a time: the driver (the replay's thread) runs each task
 * it was given on a thread of its own until the task ends or {@link #park parks} (a container start
 * waiting for its virtual boot time), and only then goes on. So the pool's launcher code runs on real
 * threads, as in production, yet the replay stays deterministic: nothing runs beside the driver.
 */
final class SteppedExecutor extends AbstractExecutorService {
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private final Semaphore driverTurn = new Semaphore(0);
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "replay-launcher");
        t.setDaemon(true);
        return t;
    });
    private int running; // tasks started and not ended; guarded by this
    private boolean shutdown; // guarded by this

    @Override
    public synchronized void execute(Runnable task) {
        if (shutdown) {
            throw new RejectedExecutionException("shut down");
        }
        queue.add(task);
    }

    /** Driver: runs each queued task until it ends or parks; whether any ran. */
    boolean runQueued() {
        boolean any = false;
        for (Runnable task; (task = poll()) != null; ) {
            any = true;
            Runnable t = task;
            threads.execute(() -> {
                try {
                    t.run();
                } finally {
                    synchronized (this) {
                        running--;
                        notifyAll();
                    }
                    driverTurn.release();
                }
            });
            driverTurn.acquireUninterruptibly();
        }
        return any;
    }

    private synchronized Runnable poll() {
        Runnable r = queue.poll();
        if (r != null) {
            running++;
        }
        return r;
    }

    /** Worker: gives the turn back to the driver and waits until {@link #resume}d with {@code mine}. */
    void park(Semaphore mine) throws InterruptedException {
        driverTurn.release();
        mine.acquire();
    }

    /** Driver: lets the worker parked on {@code its} go on until it ends or parks again. */
    void resume(Semaphore its) {
        its.release();
        driverTurn.acquireUninterruptibly();
    }

    @Override
    public synchronized void shutdown() {
        shutdown = true;
        queue.clear();
    }

    /** Parked workers are interrupted: their start fails, as a launch does when the pool closes. */
    @Override
    public List<Runnable> shutdownNow() {
        shutdown();
        threads.shutdownNow();
        return List.of();
    }

    @Override
    public synchronized boolean isShutdown() {
        return shutdown;
    }

    @Override
    public synchronized boolean isTerminated() {
        return shutdown && running == 0;
    }

    @Override
    public synchronized boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (running > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
