package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.LatencyKind;
import dev.faaspool.runtime.ContainerExit;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The slots of one function, and the dispatchers' way to them.
 *
 * <h2>Concurrency</h2>
 * A slot that becomes warm goes to the function's dispatcher ({@link #dispatchTo}), which runs on one
 * event loop: it keeps the idle warm slots and the requests waiting, takes a slot with {@link #take}
 * ({@code WARM -> BUSY}) and reports the request's course ({@link #taken}, {@link #handedOff},
 * {@link #finished}, {@link #failed}, {@link #notTaken}). Everything else about the slot set
 * (starting, retiring, sizing) is decided by the {@link Pool}'s owner thread, which this class only
 * notifies. Slot states change by compare-and-set, so the owner retiring an idle slot and the
 * dispatcher taking it race safely: one of them wins.
 *
 * <h2>Sizing</h2>
 * Decided elsewhere: the owner takes a {@link #view} and asks the {@link PoolPlan} (the {@link ScalingPolicy}'s
 * target of ready slots plus those the waiting requests need, within {@code max} containers in all: see
 * {@link PoolPlan#toStart}).
 */
public final class FunctionPool {
    private static final Logger log = LoggerFactory.getLogger(FunctionPool.class);
    private volatile FunctionSpec spec;
    private volatile int generation;
    private volatile boolean draining;
    private final SlotOwner owner;
    private final FunctionLatency latency;
    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private WarmSink sink; // guarded by this
    private final java.util.List<Slot> unclaimed = new java.util.ArrayList<>(); // warm before a sink; guarded by this
    private volatile int waiting;
    private final PoolCounters counters = new PoolCounters();
    private final Ticker ticker;
    private final Demand demand;
    private volatile ScalingPolicy.Target target;
    /** Why the last start failed, until a start succeeds; written by launchers and the owner, read by views. */
    private volatile StartFailure lastStartFailure;
    /** The ID its image reference points at now, as the owner last read it; null while not known. */
    private volatile String imageId;

    // Confined to the owner thread.
    private int consecutiveFailures;
    private long notBeforeNanos;

    /** Where a function's warm slots go: its dispatcher. {@link #warm} is called from any thread. */
    public interface WarmSink {
        /** {@code s} is warm (new, or back from a request the pool handled) and may be taken. */
        void warm(Slot s);
    }

    FunctionPool(FunctionSpec spec, SlotOwner owner, FunctionLatency latency) {
        this(spec, owner, latency, Ticker.system());
    }

    FunctionPool(FunctionSpec spec, SlotOwner owner, FunctionLatency latency, Ticker ticker) {
        this.spec = spec;
        this.owner = owner;
        this.latency = latency;
        this.ticker = ticker;
        this.demand = new Demand(ticker.read()); // deployed: now
        this.target = new ScalingPolicy.Target(spec.pool().min(), "min");
    }

    public FunctionSpec spec() {
        return spec;
    }

    public PoolCounters counters() {
        return counters;
    }

    /**
     * Takes a new definition of the function. When what a container runs changed (image, command,
     * environment, mode, limits), the definition's generation moves on: warm containers of the older
     * one are replaced, busy ones retire when their request ends. Owner thread only.
     */
    void update(FunctionSpec next) {
        FunctionSpec before = spec;
        spec = next;
        if (!sameContainers(before, next)) {
            generation++;
        }
        if (!before.image().equals(next.image())) {
            imageId = null; // another reference: its ID is read again before the next start
        }
    }

    private static boolean sameContainers(FunctionSpec a, FunctionSpec b) {
        return a.image().equals(b.image()) && a.command().equals(b.command()) && a.environment().equals(b.environment())
                && a.network().equals(b.network())
                && a.mode() == b.mode() && a.stdio() == b.stdio() && a.limits().equals(b.limits())
                && a.concurrency() == b.concurrency();
    }

    int generation() {
        return generation;
    }

    /** The image ID new containers of this function are created from; null while not known. */
    public String imageId() {
        return imageId;
    }

    /**
     * The function's image reference points at {@code id} now (null: not known, which changes nothing):
     * from here on, slots of another image are stale and roll ({@link PoolPlan}). Owner thread only.
     * Returns whether the ID changed from a known one.
     */
    boolean imageId(String id) {
        String before = imageId;
        if (id == null || id.equals(before)) {
            return false;
        }
        imageId = id;
        return before != null;
    }

    /** Whether {@code s} runs an image its function's reference no longer points at. */
    boolean stale(Slot s) {
        String now = imageId;
        return now != null && s.imageId() != null && !s.imageId().equals(now);
    }

    /** Stops the function: no more containers start; those there are retire as they come free. */
    void drain() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    /**
     * A request for this function was accepted at {@code nanos}: the scaling policy counts arrivals, and
     * how many containers each found ready.
     */
    public void arrived(long nanos) {
        int warmNow = 0, starting = 0; // one pass over the slots: this is on every request's path
        for (Slot s : slots.values()) {
            switch (s.state()) {
                case WARM -> warmNow++;
                case STARTING -> starting++;
                default -> { }
            }
        }
        demand.arrival(nanos, warmNow, starting, waiting);
    }

    Demand demand() {
        return demand;
    }

    void target(ScalingPolicy.Target t) {
        this.target = t;
    }

    /**
     * From now on, warm slots go to {@code sink} (those warm already, at once). The dispatcher of this
     * function calls it once, when it starts.
     */
    public void dispatchTo(WarmSink sink) {
        java.util.List<Slot> early;
        synchronized (this) {
            this.sink = sink;
            early = new java.util.ArrayList<>(unclaimed);
            unclaimed.clear();
        }
        early.forEach(sink::warm);
    }

    /**
     * Takes {@code s} for a hand-off. An idle slot goes {@code WARM -> BUSY}; one that serves fewer
     * connections than its {@link Slot#capacity} stays BUSY and takes one more. False when it cannot take
     * one (the owner retired it meanwhile, or it serves as many as it may): the dispatcher then drops it.
     * Dispatcher's event loop only.
     */
    public boolean take(Slot s) {
        if (s.leases() == 0 ? !s.transition(SlotState.WARM, SlotState.BUSY)
                : s.state() != SlotState.BUSY || s.leases() >= s.capacity()) {
            return false;
        }
        s.leased();
        return true;
    }

    /**
     * Whether {@code s}, busy, may take another connection now: it serves fewer than its capacity, and is
     * not to be recycled when those end. Dispatcher's event loop only.
     */
    public boolean hasRoom(Slot s) {
        return s.state() == SlotState.BUSY && s.leases() < s.capacity() && !recycles(s);
    }

    /** Whether {@code s} is to be retired when it next has nothing to serve. */
    private boolean recycles(Slot s) {
        return s.uses() >= spec.pool().maxUses() || draining || s.generation() != generation || stale(s);
    }

    /**
     * A lease on {@code s}, just taken, for the connection accepted at {@code acceptedNanos}: cold when
     * the request waited for it and it is a new container (one that served before was busy, not starting:
     * that wait is queueing).
     */
    public Lease lease(Slot s, boolean waited, long acceptedNanos) {
        return new Lease(s, waited && s.uses() == 0, new Request(s, acceptedNanos));
    }

    /** How many requests wait for a slot now, as the dispatcher counts them; it publishes each change. */
    public void waiting(int n) {
        int before = waiting;
        waiting = n;
        if (n > before && slots.size() < spec.pool().max()) {
            // A need the owner may start containers for. At max there is none to start (a retirement
            // asks for its replacement itself): asking would only spend the owner's thread per request.
            owner.requestReconcile();
        }
    }

    /**
     * Asks the owner to re-size the pools soon (the dispatcher took the last idle slots, or a oneshot container).
     * Cheap, coalesced; nothing at {@code max}, as in {@link #waiting}: there is none to start, and a retirement
     * asks for its replacement itself, so a saturated pool does not spend the owner's thread per request.
     */
    public void requestReconcile() {
        if (slots.size() < spec.pool().max()) {
            owner.requestReconcile();
        }
    }

    /**
     * The init acknowledged the lease's connection: the request belongs to the slot from now on, and
     * counts as one of its uses.
     */
    public void taken(Lease lease) {
        Slot s = lease.slot();
        Request r = lease.request();
        s.used();
        r.taken(ticker.read());
        s.running().add(r);
        if (s.removed()) {
            endLate(r); // its container went away before the ACK was read: nobody else will end it
        }
    }

    /**
     * The slot's handler runs on {@code client}: the request keeps this process's copy of the connection
     * until it ends (oneshot: its container exits; otherwise: {@link #finished}), then closes it
     * gracefully.
     */
    public void handedOff(Lease lease, HeldClient client) {
        Request r = lease.request();
        HeldClient late = r.holdClient(client);
        if (late != null) {
            late.end(r.ended());
        }
    }

    /**
     * Fork and persistent modes: the handler said {@code DONE <status>} for the lease's request. Returns
     * true when the slot may take another connection at once (its dispatcher may give it the next
     * request); false when it was recycled, having served {@code max-uses} requests, or retired meanwhile,
     * or serves as many as it may. Dispatcher's event loop only.
     */
    public boolean finished(Lease lease, int status) {
        Slot s = lease.slot();
        Request r = lease.request();
        long now = ticker.read();
        if (claim(r, HandlerExit.ofStatus(status), now)) {
            apply(r, r.claimed()); // one claimed otherwise (a timeout) is applied once its container is gone
        }
        s.released();
        if (s.leases() > 0) {
            return hasRoom(s);
        }
        if (recycles(s)) {
            (stale(s) ? counters.recycledImage : counters.recycledUsed).increment();
            owner.retire(this, s, null, null, null);
            return false;
        }
        if (s.transition(SlotState.BUSY, SlotState.WARM)) {
            s.warmSince(now);
            return true;
        }
        return false;
    }

    /**
     * After it took a connection, the slot broke (its container died, its control connection broke, or
     * no DONE came): it is retired, and every request it ran ends with what its container's exit tells.
     */
    public void failed(Lease lease, String reason) {
        Slot s = lease.slot();
        if (s.state() != SlotState.RETIRED) {
            counters.recycledFailed.increment();
        }
        owner.retire(this, s, reason, null, null);
    }

    /** A container of this function took {@code nanos} from create to hello. */
    void started(long nanos) {
        latency.record(LatencyKind.START, nanos);
        demand.started(nanos);
    }

    /**
     * Decides that {@code r} ended as {@code how} at {@code nowNanos}, and records its service time, if
     * nobody decided before; true for the one caller that did, which then has it {@link #apply}ed.
     */
    boolean claim(Request r, HandlerExit how, long nowNanos) {
        if (!r.claim(how)) {
            return false;
        }
        latency.record(LatencyKind.SERVICE, nowNanos - r.acceptedNanos());
        demand.served(nowNanos - r.takenNanos()); // the slot's time, without the wait for it
        return true;
    }

    /**
     * Acts on the end of the claimed {@code r}, once, as {@code exit} (its claim, or what the container's
     * diagnosis made of a lost one): counted by cause, logged when the handler failed, and the client
     * connection ended ({@link HeldClient#end}: answered if need be) in the background, never on the
     * caller's thread (an answer may linger to read what the client sent).
     */
    void apply(Request r, HandlerExit exit) {
        if (exit == null || !r.applied()) {
            return;
        }
        r.slot().running().remove(r);
        counters.handlerExits.get(exit.cause()).increment();
        if (!exit.ok()) {
            log.warn("{}: the handler on {} {}", spec.name(), r.slot(), exit.describe());
        }
        HeldClient c = r.endClient(exit);
        if (c != null) {
            c.end(exit);
        }
    }

    /** A request taken after its slot's container was removed: it ended with the container. */
    private void endLate(Request r) {
        claim(r, HandlerExit.lost("its container went away during the hand-off"), ticker.read());
        apply(r, r.claimed());
    }

    /**
     * Ends every request {@code s} still runs, once nothing can write to their clients: those nobody
     * decided yet as {@code how}, and lost ones as the container's {@code diagnosis} tells, when there is one.
     */
    void endRunning(Slot s, HandlerExit how, ContainerExit diagnosis) {
        long now = ticker.read();
        for (Request r : s.running()) {
            claim(r, how, now);
            HandlerExit c = r.claimed();
            apply(r, diagnosis != null && c.cause() == HandlerExit.Cause.LOST ? HandlerExit.ofContainer(diagnosis) : c);
        }
    }

    /**
     * The slot did not answer the hand-off with a clean {@code ACK} (it failed, died, answered something
     * else or nothing in time): it is retired, and as its init may hold the descriptor, the connection
     * may go elsewhere only once its container is gone: {@code removed} runs then (on a pool thread).
     */
    public void notTaken(Lease lease, String reason, Runnable removed) {
        if (lease.slot().state() != SlotState.RETIRED) {
            counters.recycledFailed.increment();
        }
        owner.retire(this, lease.slot(), reason, null, removed);
    }

    /** The slot broke the protocol while idle or serving (a message out of turn, a line too long). */
    public void violated(Slot s, String reason) {
        if (s.state() != SlotState.RETIRED) {
            counters.recycledFailed.increment();
        }
        owner.retire(this, s, reason, null, null);
    }

    /** The pool now, for the views: one pass over its slots. Any thread. */
    public PoolSnapshot snapshot() {
        int starting = 0, warm = 0, busy = 0, runningNow = 0;
        for (Slot s : slots.values()) {
            switch (s.state()) {
                case STARTING -> starting++;
                case WARM -> warm++;
                case BUSY -> busy++;
                case RETIRED -> { }
            }
            runningNow += s.running().size();
        }
        ScalingPolicy.Target t = target;
        return new PoolSnapshot(spec, starting, warm, busy, waiting, runningNow, t.ready(), t.reason());
    }

    /** How many slots are in {@code state} now. */
    public int count(SlotState state) {
        int n = 0;
        for (Slot s : slots.values()) {
            if (s.state() == state) {
                n++;
            }
        }
        return n;
    }

    /** How many requests are waiting for a slot now. */
    public int waiting() {
        return waiting;
    }

    Map<String, Slot> slots() {
        return slots;
    }

    /** {@code s} became warm: it goes to the dispatcher, or waits for one. Any thread. */
    void offerWarm(Slot s) {
        s.warmSince(ticker.read());
        WarmSink k;
        synchronized (this) {
            k = sink;
            if (k == null) {
                unclaimed.add(s);
                return;
            }
        }
        k.warm(s);
    }

    /**
     * The pool as it is now, for one decision: taken on the owner thread, as {@code key} in the pool, at
     * ticker time {@code now}.
     */
    FunctionView view(String key, long now) {
        java.util.List<FunctionView.SlotView> views = new java.util.ArrayList<>(slots.size());
        for (Slot s : slots.values()) {
            SlotState state = s.state();
            if (state == SlotState.RETIRED) {
                continue; // its removal is under way; it counts for nothing any more
            }
            long oldest = Long.MAX_VALUE;
            for (Request r : s.running()) {
                oldest = Math.min(oldest, r.acceptedNanos());
            }
            views.add(new FunctionView.SlotView(s.id(), state, s.uses(), s.generation(), s.warmSinceNanos(), oldest,
                    s.imageId()));
        }
        return new FunctionView(key, spec, generation, draining, waiting, target.ready(), demand.snapshot(now),
                demand.servesFasterThanAStart(), consecutiveFailures, notBeforeNanos, views, imageId);
    }

    /** Why the last container start failed, or null when none failed since the last that succeeded. Any thread. */
    public StartFailure lastStartFailure() {
        return lastStartFailure;
    }

    /** A start just failed, as {@code f}; launcher thread. */
    void lastStartFailure(StartFailure f) {
        lastStartFailure = f;
    }

    void startSucceeded() {
        lastStartFailure = null;
        counters.started.increment();
        consecutiveFailures = 0;
        notBeforeNanos = 0;
    }

    void startFailed(long nowNanos, Backoff backoff) {
        counters.startFailures.increment();
        consecutiveFailures++;
        notBeforeNanos = nowNanos + backoff.delay(consecutiveFailures).toNanos();
    }
}
