package dev.faaspool.pool;

import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.runtime.ContainerExit;
import dev.faaspool.runtime.ContainerRuntime;
import dev.faaspool.runtime.EngineGuard;
import dev.faaspool.runtime.Labels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes containers, on the pool's reaper threads: one at a time or all of an instance, never throwing
 * (a removal that fails is logged; the exit poll and the next start's sweep try again).
 */
final class ContainerReaper {
    private static final Logger log = LoggerFactory.getLogger(ContainerReaper.class);

    private final ContainerRuntime runtime;
    private final EngineGuard engine;
    private final ExecutorService reapers;
    private final TaskGuard guard;

    ContainerReaper(ContainerRuntime runtime, EngineGuard engine, ExecutorService reapers, TaskGuard guard) {
        this.runtime = runtime;
        this.engine = engine;
        this.reapers = reapers;
        this.guard = guard;
    }

    /** Runs {@code task} on a reaper thread, guarded. */
    void later(String name, Runnable task) {
        try {
            reapers.execute(guard.guard(name, task));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("not run, the pool is stopping: {}", name);
        }
    }

    /** The container's exit as the engine tells it, or null when it cannot. */
    ContainerExit diagnose(String id) {
        try {
            return runtime.inspectExit(id);
        } catch (RuntimeException e) {
            log.debug("no diagnosis of {}: {}", id, e.getMessage());
            return null;
        }
    }

    /** Removes {@code id} now, on the calling thread. */
    void remove(String id) {
        try {
            engine.idempotent(() -> {
                runtime.remove(id);
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("could not remove container {}: {}", id, e.getMessage());
        }
    }

    /** Removes all of {@code ids} on the reaper threads, and waits for them. */
    void removeAll(Collection<String> ids) {
        List<Future<?>> done = new ArrayList<>();
        for (String id : ids) {
            done.add(reapers.submit(() -> remove(id)));
        }
        for (Future<?> f : done) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException e) {
                log.warn("removal failed: {}", e.getCause().toString());
            }
        }
    }

    /**
     * Tries again, for a few seconds, to remove what the engine refused at the first attempt: after an
     * engine restart, a container's file system can stay busy for a moment.
     */
    void sweepRemaining(String instance) {
        for (int round = 1; round <= 5; round++) {
            List<String> left;
            try {
                left = runtime.findByLabel(Labels.INSTANCE, instance);
            } catch (RuntimeException e) {
                log.warn("could not list this instance's containers: {}", e.getMessage());
                return;
            }
            if (left.isEmpty()) {
                return;
            }
            try {
                Thread.sleep(200L << round);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            removeAll(left);
        }
    }
}
