package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.runtime.ContainerExit;
import dev.faaspool.runtime.ContainerRuntime;
import dev.faaspool.runtime.EngineGuard;
import dev.faaspool.runtime.Labels;
import java.time.Duration;
import dev.faaspool.runtime.CgroupParent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lives of the pool's containers, from launch to removal: what the {@link Pool}'s owner does when a
 * start ends, a container exits, or a slot is retired.
 *
 * <h2>Recycling</h2>
 * A oneshot slot serves one connection. Its container exits when the handler does; the exit (from
 * the engine's event stream, or the periodic poll that backs it up) retires the slot, its container
 * is removed and a replacement starts. A slot whose container dies while starting or warm is
 * replaced the same way; repeated start failures back off exponentially, probing with one start at
 * a time, and each is logged with the container's exit code, OOM flag and last output lines.
 *
 * <h2>Ending a request</h2>
 * A request ends exactly once ({@link FunctionPool#claim}, then {@link FunctionPool#apply}): by
 * {@code DONE} (fork, persistent),
 * by its container's exit (oneshot: the exit code from the engine's event; a failure is diagnosed with
 * the container's OOM flag and last output), or by the request timeout. Its handler's end is counted
 * by cause, a failure is logged with function and slot, and a client that was sent nothing is answered
 * 502 or 504 ({@link HeldClient}) once the container is gone, so nothing more can be written.
 *
 * <h2>Retiring</h2>
 * The container is removed first, in a {@code finally} whatever the diagnosis does; then the slot's
 * socket and directory, which hold only what the pool made (the container sees them read-only).
 *
 * <h2>Threads</h2>
 * {@link #launch} runs on a launcher thread, removals on reaper threads; {@link #handleExit} and
 * {@link #cleanUp} on the owner. {@link #retire} may be called from any thread: it marks the slot retired at
 * once and sends the rest to the owner.
 */
final class SlotLife {
    private static final Logger log = LoggerFactory.getLogger(SlotLife.class);
    /** A container that stays created, never started, this long was abandoned: no create takes that long. */
    private static final Duration ABANDONED_AFTER = Duration.ofMinutes(1);

    private final ContainerRuntime runtime;
    private final String instance;
    private final EngineGuard engine;
    private final SlotLauncher launcher;
    private final ContainerReaper reaper;
    private final Backoff backoff;
    private final Ticker ticker;
    private final Scheduler owner;
    private final TaskGuard guard;
    private final Supplier<Collection<FunctionPool>> functions;
    private final Runnable requestReconcile;
    private final BooleanSupplier closing;
    /** The slot of each container this run created, until the container is removed. */
    private final Map<String, Slot> byContainer = new ConcurrentHashMap<>();

    /**
     * @param functions        the pool's functions now, draining ones included
     * @param requestReconcile asks the owner to re-size the pools (after a retirement)
     * @param closing          whether the pool is stopping (no start failure counts then)
     */
    SlotLife(ContainerRuntime runtime, RunDirectory runDir, String instance, EngineGuard engine, Backoff backoff,
            PoolServices services, Supplier<Collection<FunctionPool>> functions, Runnable requestReconcile,
            BooleanSupplier closing) {
        this.runtime = runtime;
        this.instance = instance;
        this.engine = engine;
        this.backoff = backoff;
        this.ticker = services.ticker();
        this.owner = services.owner();
        this.guard = services.guard();
        this.reaper = new ContainerReaper(runtime, engine, services.reapers(), guard);
        this.launcher = new SlotLauncher(runtime, runDir, instance, engine, ticker, (s, id) -> byContainer.put(id, s));
        this.functions = functions;
        this.requestReconcile = requestReconcile;
        this.closing = closing;
    }

    ContainerReaper reaper() {
        return reaper;
    }

    /** Launcher thread: brings {@code s} to warm, or retires it. */
    void launch(FunctionPool fp, Slot s) {
        try {
            launcher.launch(s, fp.spec());
            fp.started(ticker.read() - s.createdNanos());
            if (s.transition(SlotState.STARTING, SlotState.WARM)) {
                fp.offerWarm(s);
                owner.execute("start-succeeded", fp::startSucceeded);
            } else {
                retire(fp, s, null, null, null);
            }
        } catch (LaunchException e) {
            if (s.state() != SlotState.RETIRED && !closing.getAsBoolean()) {
                long now = ticker.read();
                fp.lastStartFailure(StartFailure.of(e, now)); // for the warm-up progress, before the owner counts it
                owner.execute("start-failed", () -> fp.startFailed(now, backoff));
                log.warn("{}: {} did not become warm: {}", fp.spec().name(), s, e.describe());
            }
            retire(fp, s, null, null, null);
        } catch (RuntimeException | Error e) {
            guard.failed("launch", fp.spec().name() + " " + s, e);
            retire(fp, s, null, null, null);
        }
    }

    /**
     * Owner: every exit of a container of this instance, with its exit code when the engine's event said
     * it (-1 otherwise: the poll found it stopped).
     */
    void handleExit(String containerId, long exitCode) {
        Slot s = byContainer.get(containerId);
        if (s == null) {
            return; // retired and removed already, or not started by this run (the poll removes those)
        }
        FunctionPool fp = poolOf(s);
        if (fp == null) {
            return;
        }
        switch (s.state()) {
            case STARTING -> s.closeControl(); // the launcher's wait ends now; it diagnoses and retires
            case WARM -> {
                fp.counters().recycledFailed.increment();
                retire(fp, s, "its container exited while warm", null, null);
            }
            case BUSY -> {
                if (fp.spec().mode().reusesContainers()) {
                    fp.counters().recycledFailed.increment();
                    retire(fp, s, "its container exited while serving", HandlerExit.lost("its container exited"), null);
                } else {
                    fp.counters().recycledUsed.increment(); // oneshot: the handler finished
                    if (exitCode == 0) {
                        fp.endRunning(s, HandlerExit.ofStatus(0), null); // the common case: no inspect on its path
                    }
                    retire(fp, s, null, HandlerExit.lost("its container exited"), null);
                }
            }
            case RETIRED -> { }
        }
    }

    /** The pool {@code s} belongs to, draining ones included; null when it is gone. */
    private FunctionPool poolOf(Slot s) {
        for (FunctionPool fp : functions.get()) {
            if (fp.slots().get(s.id()) == s) {
                return fp;
            }
        }
        return null;
    }

    /** Backs up the event stream: stopped containers of this instance are exits too. */
    void pollExits() {
        reaper.later("poll-exits", () -> {
            try {
                for (String id : engine.idempotent(() -> runtime.findExitedByLabel(Labels.INSTANCE, instance))) {
                    owner.execute("container-exit", () -> {
                        if (byContainer.containsKey(id)) {
                            handleExit(id, -1);
                        } else {
                            removeLeftover(id); // ours (by label) and stopped
                        }
                    });
                }
                // Created but never started, and no slot's: a start that failed, its removal too (the engine was
                // down). Only old ones: a create whose answer is still on its way has no slot yet.
                for (String id : engine.idempotent(
                        () -> runtime.findNeverStartedByLabel(Labels.INSTANCE, instance, ABANDONED_AFTER))) {
                    owner.execute("remove-leftover", () -> removeLeftover(id));
                }
            } catch (RuntimeException e) {
                log.warn("could not list stopped containers: {}", e.getMessage());
            }
        });
    }

    /** Owner: removes a container of this instance that no slot has, unless closing (close sweeps). */
    private void removeLeftover(String id) {
        if (!closing.getAsBoolean() && !byContainer.containsKey(id)) {
            reaper.later("remove", () -> reaper.remove(id));
        }
    }

    /** Owner: carries out a retirement the plan decided, if the slot is still as the plan saw it. */
    void retire(FunctionPool fp, Decision.Retire d, long now) {
        Slot s = fp.slots().get(d.slot());
        if (s == null) {
            return;
        }
        String name = fp.spec().name();
        if (d.why() == Decision.Why.TIMED_OUT) {
            FunctionSpec.Timeouts t = fp.spec().timeouts();
            for (Request r : s.running()) {
                if (now - r.acceptedNanos() > t.request().toNanos()
                        && fp.claim(r, HandlerExit.timeout(t.request().toMillis()), now)) {
                    // Removing the container stops it, and the requests beside it end with the container.
                    fp.counters().recycledTimeout.increment();
                    retire(fp, s, d.detail(), null, null);
                    return;
                }
            }
            return; // it ended meanwhile
        }
        if (!s.transition(SlotState.WARM, SlotState.RETIRED)) {
            return; // a dispatcher took it meanwhile
        }
        switch (d.why()) {
            case RECYCLED -> {
                fp.counters().recycledUsed.increment();
                log.info("{}: recycling {} {}", name, s, d.detail());
            }
            case IDLE -> {
                fp.counters().recycledIdle.increment();
                log.info("{}: retiring {}, {}", name, s, d.detail());
            }
            case RECLAIMED -> {
                fp.counters().recycledIdle.increment();
                log.info("{}: retiring idle {} {}", name, s, d.detail());
            }
            case IMAGE_CHANGED -> {
                fp.counters().recycledImage.increment();
                log.info("{}: replacing {} {}", name, s, d.detail());
            }
            case SUPERSEDED, TIMED_OUT -> { }
        }
        cleanUp(fp, s, null, null, null);
    }

    /**
     * Takes {@code s} out of its pool for good and removes its container; any thread. The slot is marked
     * retired at once (nobody takes it from now on), the rest is the owner's. With a {@code reason} the
     * retirement is unexpected and logged, with the container's diagnosis. Every request the slot still
     * runs ends as {@code end} (null: lost, for the {@code reason}), once the container is gone; a lost
     * end is refined by the container's own exit (OOM, signal, status). {@code removed}, if any, runs once
     * the container is gone.
     */
    void retire(FunctionPool fp, Slot s, String reason, HandlerExit end, Runnable removed) {
        SlotState was = s.retire();
        if (owner.inOwner()) {
            retired(fp, s, was, reason, end, removed);
        } else {
            owner.execute("retire", () -> retired(fp, s, was, reason, end, removed));
        }
    }

    private void retired(FunctionPool fp, Slot s, SlotState was, String reason, HandlerExit end, Runnable removed) {
        if (was == SlotState.RETIRED && removed == null) {
            // Its clean-up runs or ran; one that ran cannot see a request claimed since: end it here.
            if (s.removed()) {
                fp.endRunning(s, HandlerExit.lost(reason != null ? reason : "its container was removed"), null);
            }
            return;
        }
        cleanUp(fp, s, reason, end, removed);
    }

    /**
     * Owner: removes a slot just retired, its container first, then its files. The requests it still runs
     * are decided now (see {@link #retire}); the container's diagnosis (for a {@code reason}, or a lost
     * request) is read before the removal; the requests' ends are applied after it, when nothing can write
     * to their clients any more.
     */
    void cleanUp(FunctionPool fp, Slot s, String reason, HandlerExit end, Runnable removed) {
        fp.slots().remove(s.id());
        s.closeControl();
        String id = s.containerId();
        String name = fp.spec().name();
        HandlerExit how = end != null ? end : HandlerExit.lost(reason != null ? reason : "its container was removed");
        long now = ticker.read();
        boolean lost = false;
        for (Request r : s.running()) {
            fp.claim(r, how, now);
            lost |= r.claimed() != null && r.claimed().cause() == HandlerExit.Cause.LOST;
        }
        boolean diagnosed = id != null && (reason != null || lost);
        reaper.later("retire", () -> {
            ContainerExit exit = null;
            try {
                if (diagnosed) {
                    exit = reaper.diagnose(id);
                    if (reason != null) {
                        log.warn("{}: retiring {}: {}; {}", name, s, reason, exit == null ? "no diagnosis" : exit.describe());
                    }
                } else if (reason != null) {
                    log.warn("{}: retiring {}: {}", name, s, reason);
                }
            } finally {
                try {
                    if (id != null) {
                        reaper.remove(id);
                        byContainer.remove(id);
                    }
                } finally {
                    s.markRemoved(); // from here, a request taken late ends itself (FunctionPool#taken)
                    fp.endRunning(s, how, exit); // those taken while the container was being removed too
                    s.removeFiles();
                    if (removed != null) {
                        removed.run();
                    }
                }
            }
        });
        requestReconcile.run();
    }


    /**
     * Once the owner has stopped (the caller is then the slot sets' one writer): retires every slot, ends the
     * requests they run as {@code stopped}, waits for the launchers, removes every container of this instance
     * (those of the slots, those it created, those the engine lists by label) and their control groups, then
     * answers the requests and removes the slots' files.
     */
    void removeAll(Collection<FunctionPool> functions, java.util.concurrent.ExecutorService launchers,
            HandlerExit stopped) {
        List<Slot> all = new ArrayList<>();
        Map<Slot, FunctionPool> poolOf = new HashMap<>();
        for (FunctionPool fp : functions) {
            for (Slot s : fp.slots().values()) {
                s.retire();
                s.closeControl();
                for (Request r : s.running()) {
                    fp.claim(r, stopped, ticker.read()); // answered once its container is gone
                }
                all.add(s);
                poolOf.put(s, fp);
            }
            fp.slots().clear();
        }
        launchers.shutdownNow(); // a launcher waiting for a start permit gives up; one in a Docker call finishes it
        try {
            launchers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> ids = new ArrayList<>(byContainer.keySet());
        for (Slot s : all) {
            if (s.containerId() != null && !ids.contains(s.containerId())) {
                ids.add(s.containerId());
            }
        }
        try {
            for (String id : runtime.findByLabel(Labels.INSTANCE, instance)) {
                if (!ids.contains(id)) {
                    ids.add(id);
                }
            }
        } catch (RuntimeException e) {
            log.warn("could not list this instance's containers: {}", e.getMessage());
        }
        reaper.removeAll(ids);
        reaper.sweepRemaining(instance);
        CgroupParent.remove(instance);
        for (Slot s : all) {
            s.markRemoved();
            FunctionPool fp = poolOf.get(s);
            guard.run("close", fp.spec().name() + " " + s, () -> fp.endRunning(s, stopped, null));
            s.removeFiles();
        }
        byContainer.clear();
    }
}
