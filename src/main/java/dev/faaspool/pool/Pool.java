package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.PoolConfig;
import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.runtime.CgroupParent;
import dev.faaspool.runtime.ContainerRuntime;
import dev.faaspool.runtime.EngineGuard;
import dev.faaspool.runtime.Labels;
import java.io.IOException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warm pools of all functions of one faas-pool instance, and their containers' lives.
 *
 * <h2>Ownership</h2>
 * One owner decides, on the {@link Scheduler} it is given, one task at a time: it is the single writer of
 * every function's slot set (a slot is added when the owner starts it and removed when the owner retires
 * it; {@link #close} clears them once the owner has stopped). It asks the {@link PoolPlan} what to start
 * and retire, from {@link FunctionView}s it takes, and carries that out; it applies start failures to the
 * backoff and handles container exits. Launcher threads bring new slots to warm and reaper threads remove
 * containers; both report back to the owner. Dispatchers change only a slot's state (by compare-and-set:
 * {@code WARM -> BUSY} and back, see {@link FunctionPool}); a slot they find broken they mark retired, at
 * once, and send the owner the rest of its retirement as a command.
 *
 * <h2>Time</h2>
 * Every "now" comes from the {@link Ticker} (monotonic) or the wall {@link java.time.Clock} (schedules only)
 * in the {@link PoolServices}, so the same code runs in real time and, on a fake ticker and scheduler, in
 * virtual time.
 *
 * <h2>Nothing on a timer dies</h2>
 * Every task the pool runs (tick, exit poll, reconcile, launches, removals) runs through a
 * {@link TaskGuard} (the {@link Scheduler} guards each of its tasks): a failure is logged, counted ({@code faas_internal_errors_total}) and the task runs
 * again next time. Each decision of a plan is carried out separately, so one slot's failure does not stop the others.
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
    /** At most one reconcile this often: under load, requests ask for one each. */
    private static final long RECONCILE_GAP_NANOS = 2_000_000L;
    private static final HandlerExit STOPPED = HandlerExit.lost("faas-pool stopped while it ran");

    private final ContainerRuntime runtime;
    private final String instance;
    /** Replaced, never changed in place, by the owner; a removed function stays until it has drained. */
    private volatile Map<String, FunctionPool> functions = Map.of();
    private final SlotLife life;
    private final EngineGuard engine;
    private final RunDirectory runDir;
    private final PoolServices services;
    private final Ticker ticker;
    private final Scheduler owner;
    private final TaskGuard guard;
    private final ContainerReaper reaper;
    private final AtomicBoolean reconcilePending = new AtomicBoolean();
    private final AtomicLong slotSeq = new AtomicLong();
    private volatile PoolConfig.Host host;
    private volatile long lastReconcileNanos;
    private volatile boolean closing;
    private AutoCloseable exitWatch;
    // Confined to the owner.
    private long round;
    private long retryAtNanos;
    private boolean retryScheduled;

    private final SlotOwner slotOwner = new SlotOwner() {
        @Override
        public void requestReconcile() {
            Pool.this.requestReconcile();
        }

        @Override
        public void retire(FunctionPool fp, Slot s, String reason, HandlerExit end, Runnable removed) {
            life.retire(fp, s, reason, end, removed);
        }
    };

    /**
     * @param latencies        where start latencies go, one per function of {@code config}
     * @param startConcurrency how many containers may be created and started at once
     * @param services         time, the owner and the worker threads ({@link PoolServices#system} in production)
     */
    public Pool(PoolConfig config, ContainerRuntime runtime, RunDirectory runDir, String instance,
            Map<String, FunctionLatency> latencies, int startConcurrency, PoolServices services) {
        this(config, runtime, runDir, instance, latencies, startConcurrency, Backoff.DEFAULT, services);
    }

    Pool(PoolConfig config, ContainerRuntime runtime, RunDirectory runDir, String instance,
            Map<String, FunctionLatency> latencies, int startConcurrency, Backoff backoff, PoolServices services) {
        this.runtime = runtime;
        this.runDir = runDir;
        this.instance = instance;
        this.host = config.host();
        this.services = services;
        this.ticker = services.ticker();
        this.owner = services.owner();
        this.guard = services.guard();
        this.lastReconcileNanos = ticker.read() - RECONCILE_GAP_NANOS;
        Map<String, FunctionPool> fps = new LinkedHashMap<>();
        for (FunctionSpec f : config.functions()) {
            if (!latencies.containsKey(f.name())) {
                throw new IllegalArgumentException("no latency recorder for function " + f.name());
            }
            fps.put(f.name(), new FunctionPool(f, slotOwner, latencies.get(f.name()), ticker));
        }
        this.functions = Collections.unmodifiableMap(fps);
        this.engine = new EngineGuard(startConcurrency, Duration.ofSeconds(5));
        this.life = new SlotLife(runtime, runDir, instance, engine, backoff, services, () -> functions.values(),
                this::requestReconcile, () -> closing);
        this.reaper = life.reaper();
    }

    /**
     * Removes what an earlier run of this instance left (its containers, then its slot directories),
     * then starts filling every function's pool.
     */
    public void start() throws IOException {
        List<String> left = runtime.findByLabel(Labels.INSTANCE, instance);
        boolean gone = true;
        if (!left.isEmpty()) {
            log.info("removing {} container(s) left by an earlier run of instance '{}'", left.size(), instance);
            reaper.removeAll(left);
            List<String> still = runtime.findByLabel(Labels.INSTANCE, instance);
            if (!still.isEmpty()) {
                gone = false;
                log.warn("{} container(s) of an earlier run could not be removed; their slot directories are moved"
                        + " aside, not deleted", still.size());
            }
        }
        runDir.sweep(gone);
        if (gone) {
            CgroupParent.remove(instance); // the earlier run's functions' control groups
        }
        exitWatch = runtime.watchExits(Labels.INSTANCE, instance,
                (id, exitCode) -> owner.execute("container-exit", () -> life.handleExit(id, exitCode)));
        owner.every("tick", Duration.ZERO, TICK, this::tick);
        owner.every("poll-exits", EXIT_POLL, EXIT_POLL, life::pollExits);
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
     * Applies a new configuration, on the owner: new functions get a pool (warming at once), changed ones
     * are updated in place (containers of an older definition are replaced as they come free), removed ones
     * drain: they take no new requests from their listener (the caller closes it), finish those they have,
     * and go once empty. Returns the new functions' pools.
     */
    public Map<String, FunctionPool> apply(PoolConfig next, Map<String, FunctionLatency> newLatencies) {
        if (owner.inOwner()) {
            return applyNow(next, newLatencies);
        }
        CompletableFuture<Map<String, FunctionPool>> done = new CompletableFuture<>();
        owner.execute("apply", () -> {
            try {
                done.complete(applyNow(next, newLatencies));
            } catch (RuntimeException | Error e) {
                done.completeExceptionally(e);
                throw e;
            }
        });
        try {
            return done.get(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while applying a configuration", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("applying a configuration failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the pool's owner did not apply the configuration within a minute"
                    + (closing ? " (the pool is stopping)" : ""), e);
        }
    }

    private Map<String, FunctionPool> applyNow(PoolConfig next, Map<String, FunctionLatency> newLatencies) {
        Map<String, FunctionPool> fps = new LinkedHashMap<>();
        Map<String, FunctionPool> added = new LinkedHashMap<>();
        for (FunctionSpec f : next.functions()) {
            FunctionPool fp = functions.get(f.name());
            if (fp == null || fp.draining()) {
                fp = new FunctionPool(f, slotOwner, newLatencies.get(f.name()), ticker);
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
        decide(false);
        return added;
    }

    /** The Docker engine's circuit: closed (calls go through), open (failing: no starts), half_open (trying). */
    public String engineState() {
        return engine.state();
    }

    /** Waits until every function has at least its configured number of warm slots; false on timeout. */
    public boolean awaitWarm(Duration timeout) throws InterruptedException {
        long deadline = ticker.read() + timeout.toNanos();
        while (!allWarm()) {
            if (ticker.read() - deadline > 0) {
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

    /**
     * Whether {@code fp} has its minimum ready to serve: warm slots its dispatcher has taken over (a slot just
     * warm reaches the dispatcher's event loop a moment later; a request in between would wait for it), and
     * busy ones too where they come back.
     */
    public static boolean warmEnough(FunctionPool fp) {
        int ready = 0;
        for (Slot s : fp.slots().values()) {
            SlotState state = s.state();
            if (state == SlotState.WARM && s.channel() != null
                    || state == SlotState.BUSY && fp.spec().mode().reusesContainers()) {
                ready++;
            }
        }
        return ready >= fp.spec().pool().min();
    }

    /** Asks the owner to re-size the pools soon; cheap, and coalesced when already asked. Any thread. */
    private void requestReconcile() {
        if (!closing && reconcilePending.compareAndSet(false, true)) {
            // At most one every RECONCILE_GAP: the owner's thread is not the dispatchers' to spend.
            long wait = lastReconcileNanos + RECONCILE_GAP_NANOS - ticker.read();
            if (wait > 0) {
                owner.schedule("reconcile", Duration.ofNanos(wait), this::reconcileAll);
            } else {
                owner.execute("reconcile", this::reconcileAll);
            }
        }
    }

    private void reconcileAll() {
        reconcilePending.set(false);
        lastReconcileNanos = ticker.read();
        if (!closing) {
            decide(false);
        }
    }

    /** The owner's periodic look at every slot, then at every pool's size. */
    private void tick() {
        if (closing) {
            return;
        }
        decide(true);
        if (functions.values().stream().anyMatch(fp -> fp.draining() && fp.slots().isEmpty())) {
            Map<String, FunctionPool> fps = new LinkedHashMap<>(functions);
            fps.values().removeIf(fp -> fp.draining() && fp.slots().isEmpty());
            functions = Collections.unmodifiableMap(fps);
        }
    }

    /** Owner: takes every function's view, asks the plan, and carries it out. */
    private void decide(boolean sweep) {
        long now = ticker.read();
        Map<String, FunctionPool> fps = functions;
        readImageIds(fps.values());
        List<FunctionView> views = new ArrayList<>(fps.size());
        fps.forEach((key, fp) -> views.add(fp.view(key, now)));
        ZonedDateTime wall = ZonedDateTime.now(services.wall().withZone(host.zone()));
        PoolPlan.Plan plan = PoolPlan.decide(views, host, now, wall, round++, sweep);
        plan.targets().forEach((key, t) -> fps.get(key).target(t));
        for (Decision d : plan.decisions()) {
            FunctionPool fp = fps.get(d.function());
            guard.run(sweep ? "tick" : "reconcile", d.function(), () -> carryOut(fp, d, now));
        }
    }

    /**
     * Takes the image ID each function's reference points at now from the cache (never the engine: this is
     * the owner's thread); a change makes the plan roll that function's slots of the old image.
     */
    private void readImageIds(Collection<FunctionPool> fps) {
        for (FunctionPool fp : fps) {
            if (fp.draining()) {
                continue;
            }
            String before = fp.imageId();
            if (fp.imageId(services.images().current(fp.spec().image()))) {
                log.info("{}: image {} now is {} (was {}): replacing its containers of the old image",
                        fp.spec().name(), fp.spec().image(), fp.imageId(), before);
            }
        }
    }

    private void carryOut(FunctionPool fp, Decision d, long now) {
        switch (d) {
            case Decision.Start start -> {
                for (int i = 0; i < start.count(); i++) {
                    Slot s = new Slot(fp.spec().name() + "-" + slotSeq.incrementAndGet(), fp.spec().name(), now,
                            fp.generation(), fp.imageId());
                    fp.slots().put(s.id(), s);
                    services.launchers().execute(guard.guard("launch", () -> life.launch(fp, s)));
                }
            }
            case Decision.Retry retry -> {
                long at = now + retry.afterNanos();
                if (!retryScheduled || at - retryAtNanos < 0) { // one pending retry, the earliest, is enough
                    retryScheduled = true;
                    retryAtNanos = at;
                    owner.schedule("reconcile", Duration.ofNanos(retry.afterNanos()), () -> {
                        retryScheduled = false;
                        requestReconcile();
                    });
                }
            }
            case Decision.Retire retire -> life.retire(fp, retire, now);
        }
    }

    /**
     * Stops starting containers, waits up to {@code drain} for busy slots to finish their requests,
     * then removes every container and control socket of this instance.
     */
    public void close(Duration drain) {
        closing = true;
        long deadline = ticker.read() + drain.toNanos();
        while (busy() > 0 && ticker.read() - deadline < 0) {
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
        owner.close();
        // The owner has stopped: from here this thread is the slot sets' one writer.
        life.removeAll(functions.values(), services.launchers(), STOPPED);
        services.reapers().shutdown();
        try {
            services.reapers().awaitTermination(30, TimeUnit.SECONDS);
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
