package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.HandlerMode;
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
 * slots are unavailable on average, so {@code L} slots keep requests from waiting on average;
 * arrivals are bursty, so the target adds {@code Z·√L} (Poisson's standard deviation) as headroom.
 * {@code λ} is the larger of the short-window and long-window rates: the short one rises within
 * seconds of a burst (scale up fast), the long one decays over minutes (scale down slowly).
 *
 * <h2>Floors</h2>
 * Never below {@code min}, nor below an active schedule's min. Beyond those, a function that was
 * called recently keeps one container: with learned pre-warming and at least {@link #LEARNED_SAMPLES}
 * idle gaps seen, from just before the 5th percentile of its idle gaps after the last request until
 * their 99th percentile, as the hybrid histogram policy of "Serverless in the Wild" (Shahrad et al.,
 * ATC 2020) does (pre-warm before the next request is likely, keep alive no longer than the tail);
 * otherwise for the idle TTL after the last request (a fixed keep-alive).
 *
 * <h2>Ceiling</h2>
 * Never above {@code max}. A fixed pool ({@code scaling: fixed}) has only the floors.
 */
final class ScalingPolicy {
    /** Standard deviations of headroom over the mean demand. */
    static final double Z = 2.0;
    /** Idle gaps seen before the learned window is trusted. */
    static final int LEARNED_SAMPLES = 5;

    private ScalingPolicy() {}

    /** A decision, with the rule that made it, for logs and {@code /status}. */
    record Target(int ready, String reason) {}

    static Target target(FunctionSpec spec, Demand.Snapshot d, ZonedDateTime wall) {
        FunctionSpec.PoolSize p = spec.pool();
        int ready = p.min();
        String reason = "min";
        for (Schedule s : p.schedules()) {
            if (s.covers(wall) && s.min() > ready) {
                ready = s.min();
                reason = "schedule";
            }
        }
        if (!p.demandScaling()) {
            return new Target(Math.min(ready, p.max()), reason);
        }
        if (ready == 0 && d.sinceLastNanos() >= 0) {
            if (trustsLearned(spec, d)) {
                if (learnedWindowOpen(d)) {
                    ready = 1;
                    reason = "learned";
                }
            } else if (d.sinceLastNanos() < p.idleTtl().toNanos()) {
                ready = 1;
                reason = "keep-alive";
            }
        }
        int demand = littleLaw(Math.max(d.shortRate(), d.longRate()), unavailableSeconds(spec, d));
        if (demand > ready) {
            ready = demand;
            reason = "demand";
        }
        if (ready > p.max()) {
            ready = p.max();
            reason = reason + ", capped at max";
        }
        return new Target(ready, reason);
    }

    /**
     * Slots needed to keep up with {@code rate} requests/s that each take a slot for {@code seconds}:
     * {@code L + Z·√L}, rounded to the nearest whole slot, so that a trickle (a fraction of a slot in
     * use) asks for none and the keep-alive rule decides instead.
     */
    static int littleLaw(double rate, double seconds) {
        double l = rate * seconds;
        return l <= 0 ? 0 : (int) Math.round(l + Z * Math.sqrt(l));
    }

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
     * Whether now is within the learned window after the last request: from its 5th-percentile idle
     * gap (less a margin and two container starts, so the container is warm in time) until its
     * 99th-percentile gap (plus a margin).
     */
    static boolean learnedWindowOpen(Demand.Snapshot d) {
        if (d.idleGaps() < LEARNED_SAMPLES || d.sinceLastNanos() < 0 || windowOpensAt(d) <= 0) {
            return false;
        }
        double since = d.sinceLastNanos() / 1e9;
        // At least a minute: the paper's histogram counts idle time in one-minute bins.
        double close = Math.max(LEARNED_MIN_KEEP_ALIVE_SECONDS,
                d.idleP99Seconds() * (1 + LEARNED_MARGIN) + d.startSeconds());
        return since >= windowOpensAt(d) && since <= close;
    }

    /**
     * Whether an idle warm slot may be retired now: beyond the target, and idle past a short grace (or
     * the function's idle TTL, when that is shorter). When the learned window is trusted and closed, no
     * grace: the next request is not expected before the window opens again.
     */
    static boolean mayRetireIdle(FunctionSpec spec, Demand.Snapshot d, int ready, Target target, long idleNanos) {
        if (ready <= target.ready()) {
            return false;
        }
        boolean learnedClosed = trustsLearned(spec, d) && !learnedWindowOpen(d) && d.sinceLastNanos() >= 0;
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
     * Whether the learned window decides: the function learns its idle gaps, has seen enough of them,
     * and they are real pauses (the window opens after the last request, not at once). A function
     * called every few milliseconds has no pause to learn; the fixed keep-alive serves it better.
     */
    static boolean trustsLearned(FunctionSpec spec, Demand.Snapshot d) {
        return spec.pool().learnedPrewarm() && d.idleGaps() >= LEARNED_SAMPLES && windowOpensAt(d) > 0;
    }

    private static double windowOpensAt(Demand.Snapshot d) {
        return d.idleP5Seconds() * (1 - LEARNED_MARGIN) - d.startSeconds() * 2;
    }
}
