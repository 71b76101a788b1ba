package dev.faaspool.pool;

import dev.faaspool.metrics.TaskGuard;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a {@link Pool} is given rather than makes: its time, its owner and its worker threads. The seams
 * that let the pool's rules run without Docker and in virtual time.
 *
 * @param ticker    monotonic time, for every deadline, age and duration the pool measures
 * @param wall      the wall clock, for schedules ({@code pool.schedules}) only
 * @param owner     where the pool's decisions run, one at a time
 * @param launchers where container starts run (each blocks on the engine, then waits for its init)
 * @param reapers   where container removals and diagnoses run
 * @param guard     counts and logs what any of the pool's tasks throws
 * @param images    which image ID each function's image points at now (never blocking); a change rolls its pool
 */
public record PoolServices(Ticker ticker, Clock wall, Scheduler owner, ExecutorService launchers,
        ExecutorService reapers, TaskGuard guard, ImageIds images) {

    /** Services that know no image IDs ({@link ImageIds#none}). */
    public PoolServices(Ticker ticker, Clock wall, Scheduler owner, ExecutorService launchers,
            ExecutorService reapers, TaskGuard guard) {
        this(ticker, wall, owner, launchers, reapers, guard, ImageIds.none());
    }

    /** These services, with {@code images} as the source of image IDs. */
    public PoolServices withImages(ImageIds images) {
        return new PoolServices(ticker, wall, owner, launchers, reapers, guard, java.util.Objects.requireNonNull(images));
    }

    /** The machine's clocks and the pool's own threads. */
    public static PoolServices system(TaskGuard guard) {
        return new PoolServices(Ticker.system(), Clock.systemDefaultZone(), new OwnerThread("pool-owner", guard),
                Executors.newCachedThreadPool(daemon("slot-launcher")),
                Executors.newFixedThreadPool(2, daemon("slot-reaper")), guard);
    }

    private static ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
