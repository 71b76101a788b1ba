package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.PoolConfig;
import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.runtime.ContainerExit;
import dev.faaspool.runtime.ContainerRuntime;
import dev.faaspool.runtime.EngineGuard;
import dev.faaspool.runtime.Labels;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warm pools of all functions of one faas-pool instance, and their containers' lives.
 *
 * <h2>Ownership</h2>
 * One owner thread decides: it sizes each function's pool ({@link #reconcile}), applies start
 * failures to the backoff, and handles container exits. Launcher threads bring new slots to warm,
 * reaper threads remove containers; both report back to the owner. Dispatchers only take warm slots
 * ({@link FunctionPool#acquire}) and give back those that did not take a connection.
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
 * <h2>Nothing on a timer dies</h2>
 * Every task the pool runs (tick, exit poll, reconcile, launches, removals) runs through a
 * {@link TaskGuard}: a failure is logged, counted ({@code faas_internal_errors_total}) and the task runs
 * again next time. The tick looks at each slot separately, so one slot's failure does not stop the others.
 *
 * <h2>Leaving nothing behind</h2>
 * Every container carries the instance's labels. {@link #start} removes those left by an earlier run
 * (the {@link RunDirectory} claim makes them certainly ours), then sweeps that run's slot directories and
 * its functions' control groups; {@link #close} lets busy slots finish, then removes every container,
 * socket and control group of the instance.
 */
public final class Pool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pool.class);
    private static final Duration TICK = Duration.ofSeconds(1);
    private static final Duration EXIT_POLL = Duration.ofSeconds(5);
    private static final HandlerExit STOPPED = HandlerExit.lost("faas-pool stopped while it ran");

    private final ContainerRuntime runtime;
    private final String instance;
    /** Replaced, never changed in place, by {@link #apply}; a removed function stays until it has drained. */
    private volatile Map<String, FunctionPool> functions = Map.of();
    private final Map<String, Slot> byContainer = new ConcurrentHashMap<>();
    private final SlotLauncher launcher;
    private final EngineGuard engine;
    private final Backoff backoff;
    private final RunDirectory runDir;
    private final TaskGuard guard;
    private final ScheduledExecutorService owner;
    private final ExecutorService launchers;
    private final ExecutorService reapers;
    private final AtomicBoolean reconcilePending = new AtomicBoolean();
    private final AtomicLong slotSeq = new AtomicLong();
    private volatile PoolConfig.Host host;
    private final Clock wallClock;
    private long reconcileRound; // owner thread
    private volatile boolean closing;
    private AutoCloseable exitWatch;
    private final SlotOwner slotOwner = new SlotOwner() {
        @Override
        public void requestReconcile() {
            Pool.this.requestReconcile();
        }

        @Override
        public void retire(FunctionPool fp, Slot s, String reason, HandlerExit end, Runnable removed) {
            Pool.this.retire(fp, s, reason, end, removed);
        }
    };

    /**
     * @param latencies        where start latencies go, one per function of {@code config}
     * @param startConcurrency how many containers may be created and started at once
     */
    public Pool(PoolConfig config, ContainerRuntime runtime, RunDirectory runDir, String instance,
            Map<String, FunctionLatency> latencies, int startConcurrency, TaskGuard guard) {
        this(config, runtime, runDir, instance, latencies, startConcurrency, Backoff.DEFAULT, guard);
    }

    Pool(PoolConfig config, ContainerRuntime runtime, RunDirectory runDir, String instance,
            Map<String, FunctionLatency> latencies, int startConcurrency, Backoff backoff, TaskGuard guard) {
        this.runtime = runtime;
        this.runDir = runDir;
        this.guard = guard;
        this.instance = instance;
        this.host = config.host();
        this.wallClock = Clock.systemDefaultZone();
        this.backoff = backoff;
        Map<String, FunctionPool> fps = new LinkedHashMap<>();
        for (FunctionSpec f : config.functions()) {
            if (!latencies.containsKey(f.name())) {
                throw new IllegalArgumentException("no latency recorder for function " + f.name());
            }
            fps.put(f.name(), new FunctionPool(f, slotOwner, latencies.get(f.name())));
        }
        this.functions = Collections.unmodifiableMap(fps);
        this.engine = new EngineGuard(startConcurrency, Duration.ofSeconds(5));
        this.launcher = new SlotLauncher(runtime, runDir, instance, engine, (s, id) -> byContainer.put(id, s));
        this.owner = Executors.newSingleThreadScheduledExecutor(daemon("pool-owner"));
        this.launchers = Executors.newCachedThreadPool(daemon("slot-launcher"));
        this.reapers = Executors.newFixedThreadPool(2, daemon("slot-reaper"));
    }

    /**
     * Removes what an earlier run of this instance left (its containers, then its slot directories),
     * then starts filling every function's pool.
     */
    public void start() throws java.io.IOException {
        List<String> left = runtime.findByLabel(Labels.INSTANCE, instance);
        boolean gone = true;
        if (!left.isEmpty()) {
            log.info("removing {} container(s) left by an earlier run of instance '{}'", left.size(), instance);
            removeAll(left);
            List<String> still = runtime.findByLabel(Labels.INSTANCE, instance);
            if (!still.isEmpty()) {
                gone = false;
                log.warn("{} container(s) of an earlier run could not be removed; their slot directories are moved"
                        + " aside, not deleted", still.size());
            }
        }
        runDir.sweep(gone);
        if (gone) {
            dev.faaspool.runtime.CgroupParent.remove(instance); // the earlier run's functions' control groups
        }
        exitWatch = runtime.watchExits(Labels.INSTANCE, instance,
                (id, exitCode) -> owner.execute(guard.guard("container-exit", () -> handleExit(id, exitCode))));
        owner.scheduleWithFixedDelay(guard.guard("tick", this::tick), 0, TICK.toMillis(), TimeUnit.MILLISECONDS);
        owner.scheduleWithFixedDelay(guard.guard("poll-exits", this::pollExits), EXIT_POLL.toMillis(),
                EXIT_POLL.toMillis(), TimeUnit.MILLISECONDS);
    }

    public FunctionPool function(String name) {
        return functions.get(name);
    }

    /** The functions served now, draining ones included until they are empty. */
    public Collection<FunctionPool> functions() {
        return functions.values();
    }

    /** The functions of the current configuration (not those draining after their removal). */
    public List<FunctionPool> serving() {
        return functions.values().stream().filter(fp -> !fp.draining()).toList();
    }

    /**
     * Applies a new configuration: new functions get a pool (warming at once), changed ones are updated
     * in place (containers of an older definition are replaced as they come free), removed ones drain:
     * they take no new requests from their listener (the caller closes it), finish those they have,
     * and go once empty. Returns the new functions' pools.
     */
    public Map<String, FunctionPool> apply(PoolConfig next, Map<String, FunctionLatency> newLatencies) {
        try {
            return owner.submit(() -> {
                Map<String, FunctionPool> fps = new LinkedHashMap<>();
                Map<String, FunctionPool> added = new LinkedHashMap<>();
                for (FunctionSpec f : next.functions()) {
                    FunctionPool fp = functions.get(f.name());
                    if (fp == null || fp.draining()) {
                        fp = new FunctionPool(f, slotOwner, newLatencies.get(f.name()));
                        added.put(f.name(), fp);
                    } else {
                        fp.update(f);
                    }
                    fps.put(f.name(), fp);
                }
                for (FunctionPool old : functions.values()) {
                    if (fps.get(old.spec().name()) != old && !old.slots().isEmpty()) {
                        old.drain();
                        fps.put(old.spec().name() + "#draining-" + System.identityHashCode(old), old);
                    }
                }
                host = next.host();
                functions = Collections.unmodifiableMap(fps);
                reconcileAll();
                return added;
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while applying a configuration", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("applying a configuration failed: " + e.getCause(), e.getCause());
        }
    }

    /** The Docker engine's circuit: closed (calls go through), open (failing: no starts), half_open (trying). */
    public String engineState() {
        return engine.state();
    }

    /** Waits until every function has at least its configured number of warm slots; false on timeout. */
    public boolean awaitWarm(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!allWarm()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    private boolean allWarm() {
        for (FunctionPool fp : functions.values()) {
            if (!fp.draining() && !warmEnough(fp)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code fp} has its minimum: warm slots, and busy ones too where they come back. */
    public static boolean warmEnough(FunctionPool fp) {
        int warm = fp.count(SlotState.WARM) + (fp.spec().mode().reusesContainers() ? fp.count(SlotState.BUSY) : 0);
        return warm >= fp.spec().pool().min();
    }

    /** Asks the owner to re-size the pools soon; cheap, and coalesced when already asked. */
    private void requestReconcile() {
        if (!closing && reconcilePending.compareAndSet(false, true)) {
            try {
                // At most one every RECONCILE_GAP: under load, requests ask for one each; the owner's
                // thread is not the dispatchers' to spend.
                long wait = lastReconcileNanos + RECONCILE_GAP_NANOS - System.nanoTime();
                if (wait > 0) {
                    owner.schedule(guard.guard("reconcile", this::reconcileAll), wait, TimeUnit.NANOSECONDS);
                } else {
                    owner.execute(guard.guard("reconcile", this::reconcileAll));
                }
            } catch (java.util.concurrent.RejectedExecutionException e) {
                reconcilePending.set(false);
            }
        }
    }

    private static final long RECONCILE_GAP_NANOS = 2_000_000L;
    private volatile long lastReconcileNanos = System.nanoTime() - RECONCILE_GAP_NANOS;

    private void reconcileAll() {
        reconcilePending.set(false);
        lastReconcileNanos = System.nanoTime();
        if (closing) {
            return;
        }
        long now = System.nanoTime();
        ZonedDateTime wall = ZonedDateTime.now(wallClock.withZone(host.zone()));
        List<FunctionPool> order = new ArrayList<>(functions.values());
        // Functions below their minimum first; otherwise a different one first each time, so none
        // always gets the memory budget before the others.
        Collections.rotate(order, (int) (reconcileRound++ % Math.max(1, order.size())));
        order.sort(Comparator.comparing((FunctionPool fp) -> readyCount(fp) >= fp.spec().pool().min()));
        long used = host.memoryBudget() > 0 ? memoryInUse() : 0;
        for (FunctionPool fp : order) {
            fp.target(ScalingPolicy.target(fp.spec(), fp.demand().snapshot(now), wall, fp.target()));
            used = saturatedAdd(used, reconcile(fp, now, used));
        }
    }

    private static int readyCount(FunctionPool fp) {
        return fp.available();
    }

    /** Memory limits of every container that exists now. */
    private long memoryInUse() {
        long used = 0;
        for (FunctionPool fp : functions.values()) {
            used = saturatedAdd(used, saturatedMultiply(fp.slots().size(), fp.spec().limits().memoryBytes()));
        }
        return used;
    }

    /** The owner's periodic look at every slot: requests past their deadline, warm slots idle too long. */
    private void tick() {
        if (closing) {
            return;
        }
        long now = System.nanoTime();
        ZonedDateTime wall = ZonedDateTime.now(wallClock.withZone(host.zone()));
        for (FunctionPool fp : functions.values()) {
            guard.run("tick", fp.spec().name(), () -> {
                Demand.Snapshot demand = fp.demand().snapshot(now);
                ScalingPolicy.Target target = ScalingPolicy.target(fp.spec(), demand, wall, fp.target());
                fp.target(target);
                for (Slot s : fp.slots().values()) {
                    guard.run("tick", fp.spec().name() + " " + s, () -> tick(fp, s, demand, target, now));
                }
            });
        }
        if (functions.values().stream().anyMatch(fp -> fp.draining() && fp.slots().isEmpty())) {
            Map<String, FunctionPool> fps = new LinkedHashMap<>(functions);
            fps.values().removeIf(fp -> fp.draining() && fp.slots().isEmpty());
            functions = Collections.unmodifiableMap(fps);
        }
        reconcileAll();
    }

    private void tick(FunctionPool fp, Slot s, Demand.Snapshot demand, ScalingPolicy.Target target, long now) {
        FunctionSpec spec = fp.spec();
        if (s.state() == SlotState.BUSY) {
            long timeout = spec.timeouts().request().toNanos();
            for (Request r : s.running()) {
                if (now - r.acceptedNanos() > timeout
                        && fp.claim(r, HandlerExit.timeout(spec.timeouts().request().toMillis()), now)) {
                    // Removing the container stops it, and the requests beside it end with the container.
                    fp.counters().recycledTimeout.increment();
                    retire(fp, s, "its request ran past the " + spec.timeouts().request().toMillis()
                            + " ms request timeout", null, null);
                    return;
                }
            }
        } else if (s.state() == SlotState.WARM
                && ((fp.draining() && fp.waiting() == 0) || s.generation() != fp.generation())
                && s.transition(SlotState.WARM, SlotState.RETIRED)) {
            cleanUp(fp, s, SlotState.WARM, null, null, null); // its function was changed or removed
        } else if (fp.replaced(s) && s.transition(SlotState.WARM, SlotState.RETIRED)) {
            fp.counters().recycledUsed.increment();
            log.info("{}: recycling {} after {} of its {} uses: its replacement is warm", spec.name(), s,
                    s.uses(), spec.pool().maxUses());
            cleanUp(fp, s, SlotState.WARM, null, null, null);
        } else if (s.state() == SlotState.WARM
                && ScalingPolicy.mayRetireIdle(spec, demand, readyCount(fp), target, now - s.warmSinceNanos())
                && s.transition(SlotState.WARM, SlotState.RETIRED)) { // not if a dispatcher just took it
            fp.counters().recycledIdle.increment();
            log.info("{}: retiring {}, idle for {} ms, beyond the {} ready the function needs ({})",
                    spec.name(), s, (now - s.warmSinceNanos()) / 1_000_000, target.ready(), target.reason());
            cleanUp(fp, s, SlotState.WARM, null, null, null);
        }
    }

    /** Starts the slots {@code fp} wants, within the memory budget; returns the memory they take. */
    private long reconcile(FunctionPool fp, long now, long used) {
        int starting = fp.count(SlotState.STARTING);
        int n = fp.wanted(starting, fp.count(SlotState.WARM), fp.count(SlotState.BUSY), fp.expiring());
        if (n == 0) {
            return 0;
        }
        if (fp.consecutiveFailures() > 0) {
            long wait = fp.notBeforeNanos() - now;
            if (wait > 0) {
                owner.schedule(guard.guard("reconcile", this::requestReconcile), wait, TimeUnit.NANOSECONDS);
                return 0;
            }
            n = Math.min(n, 1 - starting); // probe with one start at a time while failing
        }
        long each = fp.spec().limits().memoryBytes();
        if (host.memoryBudget() > 0) {
            long free = host.memoryBudget() - used;
            if (free < saturatedMultiply(n, each) && fp.waiting() > 0) {
                // Requests wait: that is a need, worth other functions' idle containers. A target alone is not
                // (two functions pre-warming against each other would trade containers forever).
                free = saturatedAdd(free, reclaimIdle(fp, saturatedMultiply(Math.min(n, fp.waiting()), each) - free));
            }
            n = (int) Math.max(0, Math.min(n, free / each));
        }
        for (int i = 0; i < n; i++) {
            Slot s = new Slot(fp.spec().name() + "-" + slotSeq.incrementAndGet(), fp.spec().name(), now, fp.generation());
            fp.slots().put(s.id(), s);
            launchers.execute(guard.guard("launch", () -> launch(fp, s)));
        }
        return saturatedMultiply(n, each);
    }

    /** {@code a * b}, or Long.MAX_VALUE where it would overflow: memory sums compare, never wrap. */
    static long saturatedMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) || (hi == -1 && lo < 0) ? lo : Long.MAX_VALUE;
    }

    static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : r;
    }

    /**
     * Makes room in the memory budget for {@code needy}, whose requests wait: retires idle warm slots of
     * other functions, those warm longest first, never below a function's minimum. Returns the memory
     * freed.
     */
    private long reclaimIdle(FunctionPool needy, long bytes) {
        List<Slot> idle = new ArrayList<>();
        for (FunctionPool fp : functions.values()) {
            if (fp != needy && readyCount(fp) > fp.spec().pool().min()) {
                for (Slot s : fp.slots().values()) {
                    if (s.state() == SlotState.WARM) {
                        idle.add(s);
                    }
                }
            }
        }
        idle.sort(Comparator.comparingLong(Slot::warmSinceNanos));
        long freed = 0;
        for (Slot s : idle) {
            FunctionPool fp = poolOf(s);
            if (fp == null || freed >= bytes || readyCount(fp) <= fp.spec().pool().min()) {
                continue;
            }
            if (s.transition(SlotState.WARM, SlotState.RETIRED)) {
                fp.counters().recycledIdle.increment();
                log.info("{}: retiring idle {} to make room for {} within the memory budget", fp.spec().name(), s,
                        needy.spec().name());
                cleanUp(fp, s, SlotState.WARM, null, null, null);
                freed += fp.spec().limits().memoryBytes();
            }
        }
        return freed;
    }

    private void launch(FunctionPool fp, Slot s) {
        try {
            launcher.launch(s, fp.spec());
            fp.started(System.nanoTime() - s.createdNanos());
            if (s.transition(SlotState.STARTING, SlotState.WARM)) {
                fp.offerWarm(s);
                owner.execute(guard.guard("start-succeeded", fp::startSucceeded));
            } else {
                retire(fp, s, null, null, null);
            }
        } catch (LaunchException e) {
            if (s.state() != SlotState.RETIRED && !closing) {
                long now = System.nanoTime();
                owner.execute(guard.guard("start-failed", () -> fp.startFailed(now, backoff)));
                log.warn("{}: {} did not become warm: {}", fp.spec().name(), s, e.describe());
            }
            retire(fp, s, null, null, null);
        } catch (RuntimeException | Error e) {
            guard.failed("launch", fp.spec().name() + " " + s, e);
            retire(fp, s, null, null, null);
        }
    }

    /**
     * Called on the owner thread for every exit of a container of this instance, with its exit code
     * when the engine's event said it (-1 otherwise: the poll found it stopped).
     */
    private void handleExit(String containerId, long exitCode) {
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
        for (FunctionPool fp : functions.values()) {
            if (fp.slots().get(s.id()) == s) {
                return fp;
            }
        }
        return null;
    }

    /** Backs up the event stream: stopped containers of this instance are exits too. */
    private void pollExits() {
        reapers.execute(guard.guard("poll-exits", () -> {
            try {
                for (String id : engine.idempotent(() -> runtime.findExitedByLabel(Labels.INSTANCE, instance))) {
                    owner.execute(guard.guard("container-exit", () -> {
                        if (byContainer.containsKey(id)) {
                            handleExit(id, -1);
                        } else {
                            removeLeftover(id); // ours (by label) and stopped
                        }
                    }));
                }
                // Created but never started, and no slot's: a start that failed, its removal too (the engine was
                // down). Only old ones: a create whose answer is still on its way has no slot yet.
                for (String id : engine.idempotent(
                        () -> runtime.findNeverStartedByLabel(Labels.INSTANCE, instance, ABANDONED_AFTER))) {
                    owner.execute(guard.guard("remove-leftover", () -> removeLeftover(id)));
                }
            } catch (RuntimeException e) {
                log.warn("could not list stopped containers: {}", e.getMessage());
            }
        }));
    }

    /** A container that stays created, never started, this long was abandoned: no create takes that long. */
    private static final Duration ABANDONED_AFTER = Duration.ofMinutes(1);

    /** Owner thread: removes a container of this instance that no slot has, unless closing (close sweeps). */
    private void removeLeftover(String id) {
        if (!closing && !byContainer.containsKey(id)) {
            reapers.execute(guard.guard("remove", () -> removeQuietly(id)));
        }
    }

    /**
     * Takes {@code s} out of its pool for good and removes its container. With a {@code reason} the
     * retirement is unexpected and logged, with the container's diagnosis. Every request the slot still
     * runs ends as {@code end} (null: lost, for the {@code reason}), once the container is gone; a lost
     * end is refined by the container's own exit (OOM, signal, status). {@code removed}, if any, runs once
     * the container is gone.
     */
    private void retire(FunctionPool fp, Slot s, String reason, HandlerExit end, Runnable removed) {
        SlotState was = s.retire();
        if (was == SlotState.RETIRED && removed == null) {
            // Its clean-up runs or ran; one that ran cannot see a request claimed since: end it here.
            if (s.removed()) {
                fp.endRunning(s, HandlerExit.lost(reason != null ? reason : "its container was removed"), null);
            }
            return;
        }
        cleanUp(fp, s, was, reason, end, removed);
    }

    /**
     * Removes a slot that just left state {@code was} for RETIRED: its container first, then its files.
     * The requests it still runs are decided now (see {@link #retire}); the container's diagnosis (for a
     * {@code reason}, or a lost request) is read before the removal; the requests' ends are applied after
     * it, when nothing can write to their clients any more.
     */
    private void cleanUp(FunctionPool fp, Slot s, SlotState was, String reason, HandlerExit end, Runnable removed) {
        fp.slots().remove(s.id());
        s.closeControl();
        String id = s.containerId();
        String name = fp.spec().name();
        HandlerExit how = end != null ? end : HandlerExit.lost(reason != null ? reason : "its container was removed");
        long now = System.nanoTime();
        boolean lost = false;
        for (Request r : s.running()) {
            fp.claim(r, how, now);
            lost |= r.claimed() != null && r.claimed().cause() == HandlerExit.Cause.LOST;
        }
        boolean diagnosed = id != null && (reason != null || lost);
        Runnable remove = () -> {
            ContainerExit exit = null;
            try {
                if (diagnosed) {
                    exit = diagnose(id);
                    if (reason != null) {
                        log.warn("{}: retiring {}: {}; {}", name, s, reason, exit == null ? "no diagnosis" : exit.describe());
                    }
                } else if (reason != null) {
                    log.warn("{}: retiring {}: {}", name, s, reason);
                }
            } finally {
                try {
                    if (id != null) {
                        removeQuietly(id);
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
        };
        reapers.execute(guard.guard("retire", remove));
        requestReconcile();
    }

    /** The container's exit as the engine tells it, or null when it cannot. */
    private ContainerExit diagnose(String id) {
        try {
            return runtime.inspectExit(id);
        } catch (RuntimeException e) {
            log.debug("no diagnosis of {}: {}", id, e.getMessage());
            return null;
        }
    }

    private void removeQuietly(String id) {
        try {
            engine.idempotent(() -> {
                runtime.remove(id);
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("could not remove container {}: {}", id, e.getMessage());
        }
    }

    /**
     * Tries again, for a few seconds, to remove what the engine refused at the first attempt: after an
     * engine restart, a container's file system can stay busy for a moment.
     */
    private void sweepRemaining() {
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

    private void removeAll(Collection<String> ids) {
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (String id : ids) {
            done.add(reapers.submit(() -> removeQuietly(id)));
        }
        for (var f : done) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                log.warn("removal failed: {}", e.getCause().toString());
            }
        }
    }

    /**
     * Stops starting containers, waits up to {@code drain} for busy slots to finish their requests,
     * then removes every container and control socket of this instance.
     */
    public void close(Duration drain) {
        closing = true;
        long deadline = System.nanoTime() + drain.toNanos();
        while (busy() > 0 && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int stillBusy = busy();
        if (stillBusy > 0) {
            log.warn("{} request(s) still running after the {} ms drain; stopping them", stillBusy, drain.toMillis());
        }
        closeQuietly(exitWatch);
        owner.shutdownNow();
        List<Slot> all = new ArrayList<>();
        Map<Slot, FunctionPool> poolOf = new java.util.HashMap<>();
        for (FunctionPool fp : functions.values()) {
            for (Slot s : fp.slots().values()) {
                s.retire();
                s.closeControl();
                for (Request r : s.running()) {
                    fp.claim(r, STOPPED, System.nanoTime()); // answered once its container is gone
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
        removeAll(ids);
        sweepRemaining();
        dev.faaspool.runtime.CgroupParent.remove(instance);
        for (Slot s : all) {
            s.markRemoved();
            FunctionPool fp = poolOf.get(s);
            guard.run("close", fp.spec().name() + " " + s, () -> fp.endRunning(s, STOPPED, null));
            s.removeFiles();
        }
        byContainer.clear();
        reapers.shutdown();
        try {
            reapers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }

    private int busy() {
        int n = 0;
        for (FunctionPool fp : functions.values()) {
            n += fp.count(SlotState.BUSY);
        }
        return n;
    }

    private static ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // Shutting down.
        }
    }
}
