package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;

/**
 * One function's pool, replayed in virtual time: a discrete-event simulation of what {@link Pool},
 * {@link FunctionPool} and {@link WarmQueue} do, deciding with the real {@link ScalingPolicy} and
 * {@link Demand}. No container, thread or clock is real; an hour of traffic takes milliseconds.
 *
 * <h2>The rules mirrored from the pool</h2>
 * <ul>
 *   <li>Decisions: every second (the owner's tick: idle warm slots retire when
 *       {@link ScalingPolicy#mayRetireIdle} says so, then the pool is re-sized), and whenever the real pool
 *       asks for a reconcile: a request took a warm slot or started to wait, a slot was retired.</li>
 *   <li>Sizing: what {@link FunctionPool#toStart} says, the pool's own rule.</li>
 *   <li>A request takes an idle warm container (the one warm most recently: LIFO) only when no request waits;
 *       otherwise it waits, and waiting requests get containers as they become warm, first come first
 *       served. One that waits longer than the acquire timeout is answered 503.</li>
 *   <li>Fork and persistent modes: a container goes back to warm after each request, and is retired after
 *       {@code max-uses} requests. Oneshot: it serves one request and is retired when it ends.</li>
 *   <li>Demand hears of every arrival, every service time (accept to end) and every start time (create
 *       to warm, waiting for a start permit included), as in the pool.</li>
 * </ul>
 *
 * <h2>The container engine</h2>
 * At most {@link #START_CONCURRENCY} starts at once (faas-pool's {@code --start-concurrency} bulkhead; the
 * others queue). Alone, a start takes a log-normal time with median 220 ms and p99 400 ms (this machine,
 * benchmark/results/dispatch-latency.md). Concurrent starts share the machine: with {@code c} running,
 * each advances at {@code 1 / (1 + 0.7·(c - 1))} of its solo speed, which reproduces the measured 20
 * simultaneous starts (p90 ~1.7 s, last ~3.5 s). Starts never fail.
 */
final class SimulatedPool {
    static final int START_CONCURRENCY = 4;
    static final double START_SLOWDOWN = 0.7;
    static final double START_MEDIAN_SECONDS = 0.220;
    /** σ of the log-normal start time: p99 = median · e^(2.326σ) = 400 ms. */
    static final double START_SIGMA = Math.log(0.400 / START_MEDIAN_SECONDS) / 2.326;
    private static final long TICK = 1_000_000_000L;
    private static final ZonedDateTime WALL = ZonedDateTime.of(2026, 11, 25, 12, 0, 0, 0, ZoneOffset.UTC);

    private enum State { STARTING, WARM, BUSY }

    private static final class Container {
        final long created;
        State state = State.STARTING;
        long warmSince;
        int uses;
        double work; // seconds of solo start time left
        Request serving;

        Container(long created) {
            this.created = created;
        }
    }

    private static final class Request {
        final int index;
        final long arrived;
        long accepted = -1;
        boolean waited;

        Request(int index, long arrived) {
            this.index = index;
            this.arrived = arrived;
        }
    }

    private enum Kind { TICK, START_DONE, SERVICE_END, ACQUIRE_TIMEOUT }

    private record Event(long at, long seq, Kind kind, Object ref, long version) {}

    /**
     * What one replay measured.
     *
     * @param cold             requests that waited for a container start (faas-pool's own "cold"), 503s included
     * @param coldOnStart      those served by a container that had just started
     * @param coldEmpty        those that found the function with no container at all (scaled to zero)
     * @param timeouts         requests that waited past the acquire timeout (503)
     * @param latencyMicros    arrival to the end of the request: waiting plus service
     * @param containerSeconds the integral of live containers (starting, warm or busy) over the trace
     * @param startMicros      container starts, create to warm
     * @param retiredEarly     idle containers retired before the idle TTL (the learned window had closed)
     */
    record Result(String system, long requests, long cold, long coldOnStart, long coldEmpty, long timeouts,
            Histogram latencyMicros, double containerSeconds, double seconds, long starts, Histogram startMicros,
            int peak, long retiredEarly) {
        double coldFraction() {
            return requests == 0 ? 0 : (double) cold / requests;
        }

        double meanContainers() {
            return containerSeconds / seconds;
        }

        double latencyMillis(double percentile) {
            return latencyMicros.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    private final FunctionSpec spec;
    private final boolean reuses;
    private final SplittableRandom random;
    private final Demand demand = new Demand(0); // deployed as the trace starts
    private final PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
            : Long.compare(a.seq, b.seq));
    private final LinkedHashSet<Container> containers = new LinkedHashSet<>();
    private final ArrayDeque<Container> idle = new ArrayDeque<>(); // head = most recently warm
    private final ArrayDeque<Request> waiters = new ArrayDeque<>();
    private final ArrayDeque<Container> startQueue = new ArrayDeque<>();
    private final List<Container> activeStarts = new ArrayList<>();
    private long engineUpdated;
    private long engineVersion;
    private long seq;
    private int starting, warm, busy;

    private Trace trace;
    private long now;
    private double area; // container-nanoseconds
    private long lastAreaAt;
    private long cold, coldOnStart, coldEmpty, timeouts, starts, completed, retiredEarly;
    private int peak;
    private final Histogram latency = new Histogram(3_600_000_000L, 3);
    private final Histogram startLatency = new Histogram(3_600_000_000L, 3);

    SimulatedPool(FunctionSpec spec, long seed) {
        this.spec = spec;
        this.reuses = spec.mode().reusesContainers();
        this.random = new SplittableRandom(seed);
    }

    /** Replays {@code t} from an empty pool; requests in flight at its end are let finish. */
    Result run(Trace t, String system) {
        this.trace = t;
        long end = t.durationNanos();
        schedule(0, Kind.TICK, null, 0);
        int next = 0;
        long[] arrivals = t.arrivals();
        while (true) {
            Event e = events.peek();
            boolean arrivalNext = next < arrivals.length && (e == null || arrivals[next] <= e.at);
            if (arrivalNext) {
                advance(arrivals[next]);
                arrive(new Request(next, arrivals[next]));
                next++;
                continue;
            }
            if (e == null) {
                break;
            }
            events.poll();
            if (e.kind == Kind.TICK && e.at >= end) {
                if (next >= arrivals.length && completed + timeouts == arrivals.length) {
                    break;
                }
                if (e.at > end + 600 * TICK) {
                    throw new IllegalStateException(t.name() + ": requests still unfinished 10 min after the end");
                }
            }
            advance(e.at);
            switch (e.kind) {
                case TICK -> tick();
                case START_DONE -> {
                    if (e.version == engineVersion) {
                        startDone();
                    }
                }
                case SERVICE_END -> serviceEnd((Container) e.ref);
                case ACQUIRE_TIMEOUT -> acquireTimeout((Request) e.ref);
            }
        }
        return new Result(system, arrivals.length, coldOnStart + timeouts, coldOnStart, coldEmpty, timeouts, latency, area / 1e9, end / 1e9,
                starts, startLatency, peak, retiredEarly);
    }

    private void schedule(long at, Kind kind, Object ref, long version) {
        events.add(new Event(at, seq++, kind, ref, version));
    }

    /** Moves the clock to {@code t}, integrating live containers up to the trace's end. */
    private void advance(long t) {
        long upTo = Math.min(t, trace.durationNanos());
        if (upTo > lastAreaAt) {
            area += (double) containers.size() * (upTo - lastAreaAt);
            lastAreaAt = upTo;
        }
        now = t;
    }

    // ---- the owner's decisions ----

    /** The last decision, as {@link FunctionPool#target()} keeps it. */
    private int held;

    private ScalingPolicy.Target target(Demand.Snapshot d) {
        ScalingPolicy.Target t = ScalingPolicy.target(spec, d, WALL, held);
        held = t.ready();
        return t;
    }

    java.util.function.Consumer<String> probe;

    /** {@link FunctionPool#expiring}: warm and busy containers within {@link FunctionPool#recycleAhead} uses of max-uses. */
    private boolean expiring(Container c) {
        int maxUses = spec.pool().maxUses();
        return reuses && c.state != State.STARTING && c.uses > 0 && c.uses >= maxUses - FunctionPool.recycleAhead(maxUses);
    }

    private int expiring() {
        int n = 0;
        for (Container c : containers) {
            if (expiring(c)) {
                n++;
            }
        }
        return n;
    }

    /** {@link FunctionPool#available}: starting and warm containers, and busy ones where they come back. */
    private int available() {
        return starting + warm + (reuses ? busy : 0);
    }

    private void tick() {
        Demand.Snapshot d = demand.snapshot(now);
        ScalingPolicy.Target target = target(d);
        if (probe != null) {
            probe.accept(String.format(java.util.Locale.ROOT, "%8.0f c=%d s=%d w=%d b=%d q=%d target=%d %s short=%.2f long=%.2f svc=%.3f gaps=%d p5=%.1f p99=%.1f since=%.1f",
                    now / 1e9, containers.size(), starting, warm, busy, waiters.size(), target.ready(), target.reason(),
                    d.shortRate(), d.longRate(), d.serviceSeconds(), d.pauses(), d.pauseP5Seconds(), d.pauseP99Seconds(), d.sinceLastNanos() / 1e9));
        }
        for (Iterator<Container> it = containers.iterator(); it.hasNext(); ) {
            Container c = it.next();
            if (c.state == State.WARM && expiring(c) && warm + busy - expiring() >= Math.max(1, target.ready())) {
                it.remove(); // FunctionPool#replaced: recycled a little early, its replacement is warm
                idle.remove(c);
                warm--;
            } else if (c.state == State.WARM && ScalingPolicy.mayRetireIdle(spec, d, available(), target, now - c.warmSince)) {
                if (now - c.warmSince < spec.pool().idleTtl().toNanos()) {
                    retiredEarly++; // the learned window closed: not waiting out the idle TTL
                }
                it.remove();
                idle.remove(c);
                warm--;
            }
        }
        reconcile();
        schedule(now + TICK, Kind.TICK, null, 0);
    }

    /** {@link Pool#reconcileAll} for the one function: start what {@link FunctionPool#wanted} says. */
    private void reconcile() {
        ScalingPolicy.Target target = target(demand.snapshot(now));
        int n = FunctionPool.toStart(spec, target.ready(), waiters.size(), demand.servesFasterThanAStart(), starting,
                warm, busy, expiring());
        for (int i = 0; i < n; i++) {
            Container c = new Container(now);
            containers.add(c);
            starting++;
            starts++;
            c.work = START_MEDIAN_SECONDS * Math.exp(START_SIGMA * Trace.gaussian(random));
            startQueue.add(c);
        }
        peak = Math.max(peak, containers.size());
        if (n > 0) {
            updateEngine();
        }
    }

    // ---- the container engine: a bulkhead of START_CONCURRENCY, processor sharing among running starts ----

    private double engineSlowdown() {
        return 1 + START_SLOWDOWN * (activeStarts.size() - 1);
    }

    /** Brings running starts up to now, admits queued ones, and schedules the next completion. */
    private void updateEngine() {
        if (!activeStarts.isEmpty()) {
            double progressed = (now - engineUpdated) / 1e9 / engineSlowdown();
            for (Container c : activeStarts) {
                c.work -= progressed;
            }
        }
        engineUpdated = now;
        while (activeStarts.size() < START_CONCURRENCY && !startQueue.isEmpty()) {
            activeStarts.add(startQueue.poll());
        }
        engineVersion++;
        if (!activeStarts.isEmpty()) {
            double least = Double.MAX_VALUE;
            for (Container c : activeStarts) {
                least = Math.min(least, c.work);
            }
            long in = (long) Math.ceil(Math.max(0, least) * engineSlowdown() * 1e9);
            schedule(now + in, Kind.START_DONE, null, engineVersion);
        }
    }

    private void startDone() {
        double progressed = (now - engineUpdated) / 1e9 / engineSlowdown();
        List<Container> done = new ArrayList<>();
        for (Container c : activeStarts) {
            c.work -= progressed;
            if (c.work <= 1e-9) {
                done.add(c);
            }
        }
        engineUpdated = now;
        activeStarts.removeAll(done);
        for (Container c : done) {
            demand.started(now - c.created);
            startLatency.recordValue(Math.max(1, (now - c.created) / 1000));
            starting--;
            warm++;
            c.state = State.WARM;
            offer(c, true);
        }
        updateEngine();
    }

    // ---- requests ----

    private void arrive(Request r) {
        demand.arrival(now, idle.size(), starting, waiters.size());
        if (waiters.isEmpty() && !idle.isEmpty()) {
            serve(idle.pop(), r);
        } else {
            r.waited = true;
            if (containers.isEmpty()) {
                coldEmpty++;
            }
            waiters.add(r);
            schedule(now + spec.timeouts().acquire().toNanos(), Kind.ACQUIRE_TIMEOUT, r, 0);
        }
        reconcile(); // a warm slot fewer, or a request waiting
    }

    /** A container became warm: the longest-waiting request gets it, or it joins the idle ones. */
    private void offer(Container c, boolean fresh) {
        c.warmSince = now;
        Request r = waiters.poll();
        if (r == null) {
            idle.push(c);
            return;
        }
        if (fresh) {
            coldOnStart++;
        }
        serve(c, r);
        reconcile(); // the waiter's acquire returns and asks for a reconcile
    }

    private void serve(Container c, Request r) {
        warm--;
        busy++;
        c.state = State.BUSY;
        c.uses++;
        c.serving = r;
        r.accepted = now;
        schedule(now + trace.serviceNanos()[r.index], Kind.SERVICE_END, c, 0);
    }

    private void serviceEnd(Container c) {
        Request r = c.serving;
        c.serving = null;
        demand.served(now - r.accepted);
        completed++;
        latency.recordValue(Math.max(1, (now - r.arrived) / 1000));
        if (r.waited) {
            cold++;
        }
        busy--;
        if (!reuses || c.uses >= spec.pool().maxUses()) {
            containers.remove(c); // oneshot: the container exits with its handler; or recycled after max-uses
            reconcile();
        } else {
            warm++;
            c.state = State.WARM;
            offer(c, false);
        }
    }

    private void acquireTimeout(Request r) {
        if (r.accepted < 0 && waiters.remove(r)) {
            timeouts++;
            cold++;
            latency.recordValue(spec.timeouts().acquire().toNanos() / 1000);
        }
    }
}
