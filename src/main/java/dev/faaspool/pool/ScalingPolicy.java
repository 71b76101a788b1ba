package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.HandlerMode;
import dev.faaspool.config.Prewarm;
import dev.faaspool.config.Scaling;
import dev.faaspool.config.Schedule;
import java.time.ZonedDateTime;

/**
 * How many containers a function should have available, decided from what it has seen: starting and
 * warm ones, and busy ones too in the modes where they come back (fork, persistent). A pure function
 * of its arguments: time comes in as {@code now}, so tests run it on a fake clock.
 *
 * <h2>Demand: Little's law</h2>
 * A request makes a slot unavailable for {@code W} seconds: in oneshot mode, the start of the container
 * that replaces the used one; otherwise its service time. At an arrival rate {@code λ}, {@code L = λW}
 * slots are unavailable on average (Little's law). Arrivals are Poisson, so how many are unavailable at
 * once varies around {@code L}, and the target adds headroom for it:
 * <ul>
 *   <li>oneshot: a request that finds no slot ready waits for a container start. With {@code k} slots it
 *       does so with the probability {@code B(k, L)} of Erlang's loss formula; the target is the fewest
 *       slots that make it at most {@link #COLD_RISK}. (At 1 req/s and 240 ms starts, {@code L = 0.24}: three,
 *       where {@code L + Z·√L} rounds to one and a request in five waits.)</li>
 *   <li>fork, persistent: a request that finds every slot busy waits for the first to free, seldom for a
 *       start, so {@code Z·√L} (Poisson's standard deviation) of headroom is enough.</li>
 * </ul>
 * {@code λ} is the larger of the short-window and long-window rates: the short one rises within
 * seconds of a burst (scale up fast), the long one decays over minutes (scale down slowly).
 *
 * <p>The measured rate and start time wander even when traffic does not change. The target rises as soon
 * as they ask for more, and comes down only when one container fewer would still be well within the goal
 * (half the cold risk, half a standard deviation more headroom), so steady traffic keeps a steady size
 * rather than one that is, half the time, one container short.
 *
 * <h2>Pauses: learned pre-warming</h2>
 * With learned pre-warming and at least {@link #LEARNED_SAMPLES} pauses seen (silences of at least
 * {@link Demand#PAUSE}), a function in a pause is sized from its pauses, not from its recent rates: as
 * the hybrid histogram policy of "Serverless in the Wild" (Shahrad et al., ATC 2020) does, nothing is
 * kept until just before the 5th percentile of its pauses, then the containers its traffic needed when
 * it last went quiet are pre-warmed and kept until the 99th percentile (the tail). Functions called
 * every few minutes, and those whose traffic comes in bursts, go to zero between calls or bursts and
 * are warm again, at the size they need, before the next one.
 *
 * <p>In oneshot mode a burst uses up a container per request, and when it comes faster than the
 * engine starts them, Little's law says nothing of what the burst needs: that is the containers ready
 * at its start that cover what the engine could not start during it. The pool measures it on each burst
 * ({@link Demand.Snapshot#burstNeed}) and pre-warms the most one of the last few bursts needed.
 *
 * <h2>Floors</h2>
 * Never below {@code min}, nor below an active schedule's min. A function deployed and not called yet
 * has its {@code initial} containers for the idle TTL. A function that was called recently and
 * is not in a learned pause keeps at least one container for the idle TTL after its last request (a
 * fixed keep-alive); past it, none.
 *
 * <h2>Ceiling</h2>
 * Never above {@code max}. A fixed pool ({@code scaling: fixed}) has only the floors.
 */
final class ScalingPolicy {
    /** Oneshot: the target's bound on the probability that a request finds no container ready. */
    static final double COLD_RISK = 0.02;
    /** Fork, persistent: standard deviations of headroom over the mean demand. */
    static final double Z = 2.0;
    /**
     * Pauses seen before the learned window is trusted. With three, its percentiles are the shortest and the
     * longest pause, widened by {@link #LEARNED_MARGIN}; five (as before) cost two more bursts of learning in
     * the trace replay and missed no fewer.
     */
    static final int LEARNED_SAMPLES = 3;

    private ScalingPolicy() {}

    /** A decision, with the rule that made it, for logs and {@code /status}. */
    record Target(int ready, String reason) {}

    static Target target(FunctionSpec spec, Demand.Snapshot d, ZonedDateTime wall) {
        return target(spec, d, wall, 0);
    }

    /**
     * The target now, given the one decided last ({@code held} containers): in traffic that has not dropped
     * beyond its noise, at least the size it had (see {@link #slots(FunctionSpec, Demand.Snapshot, double, int)}).
     */
    static Target target(FunctionSpec spec, Demand.Snapshot d, ZonedDateTime wall, int held) {
        FunctionSpec.PoolSize p = spec.pool();
        Target t = new Target(p.min(), "min");
        for (Schedule s : p.schedules()) {
            if (s.covers(wall) && s.min() > t.ready()) {
                t = new Target(s.min(), "schedule");
            }
        }
        if (p.scaling() == Scaling.DEMAND) {
            Target traffic = fromTraffic(spec, d, held);
            if (traffic.ready() > t.ready() || traffic.ready() == 0 && t.ready() == 0) { // at zero, say why
                t = traffic;
            }
        }
        return t.ready() > p.max() ? new Target(p.max(), t.reason() + ", capped at max") : t;
    }

    /** What the function's traffic asks for, floors and ceiling aside. */
    private static Target fromTraffic(FunctionSpec spec, Demand.Snapshot d, int held) {
        if (d.sinceLastNanos() < 0) {
            // A function just deployed is usually called soon (by whoever deployed it): as Knative's initial
            // scale, it gets its first containers before its first request, for as long as a keep-alive.
            int initial = spec.pool().initial();
            return initial > 0 && d.sinceDeployedNanos() < spec.pool().idleTtl().toNanos()
                    ? new Target(initial, "deployed")
                    : new Target(0, "no traffic yet");
        }
        if (d.paused() && trustsLearned(spec, d)) {
            // A learned pause: the recent rates only say the traffic stopped; the pauses say when it comes back.
            if (!learnedWindowOpen(d)) {
                return new Target(0, "learned pause");
            }
            // What the last bursts were measured to need, where measured: the rate after a burst's last
            // request says little of its first (one request reads as a tenth of one a second).
            return spec.mode() == HandlerMode.ONESHOT && d.burstNeed() > 0
                    ? new Target(d.burstNeed(), "learned burst")
                    : new Target(Math.max(1, slots(spec, d, d.rateAtLast())), "learned");
        }
        if (d.sinceLastNanos() >= spec.pool().idleTtl().toNanos()) {
            return new Target(0, "idle past idle-ttl");
        }
        int demand = slots(spec, d, Math.max(d.shortRate(), d.longRate()), held);
        return demand <= 1 ? new Target(1, "keep-alive") : new Target(demand, "demand");
    }

    /**
     * {@link #slots(FunctionSpec, Demand.Snapshot, double)}, but never fewer than {@code held} until one fewer
     * would still be well within the mode's goal: in oneshot mode a cold risk of at most half
     * {@link #COLD_RISK}, in fork and persistent mode a headroom of {@code Z + 0.5} standard deviations
     * (rounded). Up at once, down only past that margin: a size that followed the noise would be one short
     * half the time, and the cold risk grows faster below the right size than it falls above it.
     */
    static int slots(FunctionSpec spec, Demand.Snapshot d, double rate, int held) {
        int wanted = slots(spec, d, rate);
        if (held <= wanted) {
            return wanted;
        }
        double l = rate * unavailableSeconds(spec, d);
        boolean oneFewerIsAmple = spec.mode() == HandlerMode.ONESHOT
                ? erlangB(held - 1, l) <= COLD_RISK / BAND
                : l + (Z + Z_BAND) * Math.sqrt(l) < (held - 1.0) * spec.concurrency() + 0.5;
        return oneFewerIsAmple ? wanted : held;
    }

    /** Oneshot: how far below {@link #COLD_RISK} one container fewer must keep the risk before the target drops. */
    static final double BAND = 2;
    /** Fork, persistent: the headroom beyond {@link #Z}, in standard deviations, that one fewer must keep. */
    static final double Z_BAND = 0.5;

    /**
     * Slots that serve {@code rate} requests/s with the headroom of the function's mode. Little's law
     * counts connections in flight; a container serves {@code concurrency} of them at once.
     */
    static int slots(FunctionSpec spec, Demand.Snapshot d, double rate) {
        double seconds = unavailableSeconds(spec, d);
        return spec.mode() == HandlerMode.ONESHOT ? erlangLoss(rate * seconds)
                : Math.ceilDiv(littleLaw(rate, seconds), spec.concurrency());
    }

    /**
     * Slots needed to keep up with {@code rate} requests/s that each take a slot for {@code seconds}:
     * {@code L + Z·√L}, rounded to the nearest whole slot, so that a trickle (a fraction of a slot in
     * use) asks for none and the keep-alive rule decides instead. Saturates at {@code Integer.MAX_VALUE}
     * (the target caps it at max): cast from a long, a load past 2^31 slots would wrap to a negative target.
     */
    static int littleLaw(double rate, double seconds) {
        double l = rate * seconds;
        return l <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, Math.round(l + Z * Math.sqrt(l)));
    }

    /**
     * The fewest slots {@code k} with which a Poisson stream of load {@code l} (Little's {@code L}) finds
     * none available with a probability {@code B(k, l)} of at most {@link #COLD_RISK}; none at no load.
     */
    static int erlangLoss(double l) {
        if (!(l > 0)) {
            return 0;
        }
        double b = 1;
        int k = 0;
        while (b > COLD_RISK && k < MAX_SLOTS) {
            k++;
            b = erlangStep(b, k, l);
        }
        return k;
    }

    /**
     * Erlang's loss formula {@code B(k, l)}: the probability that a Poisson stream of load {@code l} finds all
     * {@code k} slots taken.
     */
    static double erlangB(int k, double l) {
        double b = 1;
        for (int i = 1; i <= k; i++) {
            b = erlangStep(b, i, l);
        }
        return b;
    }

    /** {@code B(k, l)} from {@code b = B(k-1, l)}: the recurrence, stable at any load, from {@code B(0, l) = 1}. */
    private static double erlangStep(double b, int k, double l) {
        return l * b / (k + l * b);
    }

    /** Where the search for {@code k} stops: far above any pool's max. */
    private static final int MAX_SLOTS = 100_000;

    /**
     * How long one request keeps a slot from serving another: in oneshot mode, the start of the
     * container that replaces the used one (the target counts ready slots, and a used one never comes
     * back); otherwise the request's service time (the target counts busy slots too).
     */
    static double unavailableSeconds(FunctionSpec spec, Demand.Snapshot d) {
        return spec.mode() == HandlerMode.ONESHOT ? d.startSeconds() : d.serviceSeconds();
    }

    /** Slack around the learned window, as a fraction of its bounds: arrivals jitter. */
    static final double LEARNED_MARGIN = 0.1;
    /** The learned window stays open at least this long after a request. */
    static final double LEARNED_MIN_KEEP_ALIVE_SECONDS = 60;

    /**
     * Whether now, in a pause, is within the learned window: from the 5th-percentile pause (less a margin
     * and two container starts, so the containers are warm in time) until the 99th-percentile one (plus a
     * margin and a start), and at least a minute after the last request.
     */
    static boolean learnedWindowOpen(Demand.Snapshot d) {
        if (d.pauses() < LEARNED_SAMPLES || !d.paused()) {
            return false;
        }
        double since = d.sinceLastNanos() / 1e9;
        // At least a minute: the paper's histogram counts idle time in one-minute bins.
        double close = Math.max(LEARNED_MIN_KEEP_ALIVE_SECONDS,
                d.pauseP99Seconds() * (1 + LEARNED_MARGIN) + d.startSeconds());
        return since >= windowOpensAt(d) && since <= close;
    }

    /**
     * Whether an idle warm slot may be retired now: beyond the target, and idle past a short grace (or
     * the function's idle TTL, when that is shorter). In a learned pause outside its window, no grace:
     * the next request is not expected before the window opens again.
     */
    static boolean mayRetireIdle(FunctionSpec spec, Demand.Snapshot d, int ready, Target target, long idleNanos) {
        if (ready <= target.ready()) {
            return false;
        }
        boolean learnedClosed = d.paused() && trustsLearned(spec, d) && !learnedWindowOpen(d);
        long grace = Math.min(EXCESS_GRACE.toNanos(), spec.pool().idleTtl().toNanos());
        return learnedClosed || idleNanos >= grace;
    }

    /**
     * How long a container beyond the target stays idle before it retires. Short: the target itself
     * comes down slowly (the long-window rate, the keep-alive), so the grace only keeps containers from
     * flapping when the target wavers.
     */
    static final java.time.Duration EXCESS_GRACE = java.time.Duration.ofSeconds(30);

    /**
     * Whether the learned window decides: the function learns its pauses, has seen enough of them, and
     * the window would open after the last request, not at once.
     */
    static boolean trustsLearned(FunctionSpec spec, Demand.Snapshot d) {
        return spec.pool().prewarm() == Prewarm.LEARNED && d.pauses() >= LEARNED_SAMPLES && windowOpensAt(d) > 0;
    }

    private static double windowOpensAt(Demand.Snapshot d) {
        return d.pauseP5Seconds() * (1 - LEARNED_MARGIN) - d.startSeconds() * 2;
    }
}
