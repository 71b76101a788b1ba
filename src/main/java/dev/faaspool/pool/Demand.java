package dev.faaspool.pool;

import java.time.Duration;
import org.HdrHistogram.Histogram;

/**
 * What one function's traffic looks like, as the scaling policy needs it: the arrival rate smoothed
 * over a short and a long window, how long a request keeps a slot unavailable, and its pauses: the
 * distribution of the silences of at least {@link #PAUSE} between requests, the rate its traffic
 * had when it last went quiet, and what its last bursts (the traffic between two pauses) needed ready
 * at their first request. Time comes in as arguments ({@link System#nanoTime()} scale), so tests
 * drive it with a fake clock. Thread-safe: dispatchers record, the pool's owner reads.
 */
final class Demand {
    static final Duration SHORT_WINDOW = Duration.ofSeconds(10);
    static final Duration LONG_WINDOW = Duration.ofMinutes(5);
    /** Weight of the newest observation in the service time average. */
    private static final double SERVICE_ALPHA = 0.2;
    /**
     * Weight of the newest start in the start time average: about the last 20. Starts come in bursts that slow
     * each other down; a target that followed the slowest of them would start more at once, slower still.
     */
    private static final double START_ALPHA = 0.05;

    private final DecayingRate shortRate = new DecayingRate(SHORT_WINDOW);
    private final DecayingRate longRate = new DecayingRate(LONG_WINDOW);
    /**
     * A silence at least this long is a pause of the function, not a gap within its traffic: at the
     * rates that keep a container busy, Poisson arrivals leave no such gap (at 0.5 req/s, one in 150).
     */
    static final Duration PAUSE = Duration.ofSeconds(10);

    /** Pauses between consecutive requests, in milliseconds, up to a day. */
    private final Histogram pauses = new Histogram(86_400_000L, 2);
    private double serviceSeconds = Double.NaN;
    private double startSeconds = Double.NaN;
    private final long deployed;
    private long lastArrival;
    private boolean arrived;

    /** Bursts whose need is remembered: the current one and the ones before it. */
    static final int BURSTS = 5;
    /** The needs of the last closed bursts, a ring; {@code closedBursts} counts all there were. */
    private final int[] burstNeeds = new int[BURSTS - 1];
    private int closedBursts;
    /**
     * How much of a burst its need is measured on: containers pre-warmed beyond the target serve only its
     * beginning, as idle ones beyond it retire after {@link ScalingPolicy#EXCESS_GRACE}.
     */
    static final Duration BURST_HORIZON = ScalingPolicy.EXCESS_GRACE;
    /** The current burst: its first request, the containers ready or starting then, and the fewest spare since. */
    private long burstStart;
    private int burstReady;
    private int burstLeastSpare = Integer.MAX_VALUE;

    /** The demand of a function deployed at {@code deployedNanos}. */
    Demand(long deployedNanos) {
        this.deployed = deployedNanos;
    }

    /** A request arrived at {@code now}; the pool's containers are not known (rates and pauses only). */
    synchronized void arrival(long now) {
        opensBurst(now);
    }

    /**
     * A request arrived at {@code now} and found {@code warm} idle containers, {@code starting} ones, and
     * {@code waiting} requests before it.
     */
    synchronized void arrival(long now, int warm, int starting, int waiting) {
        if (opensBurst(now)) {
            if (burstLeastSpare != Integer.MAX_VALUE) {
                burstNeeds[closedBursts++ % burstNeeds.length] = currentBurstNeed();
            }
            burstStart = now;
            burstReady = warm + starting;
            burstLeastSpare = Integer.MAX_VALUE;
        }
        if (now - burstStart > BURST_HORIZON.toNanos()) {
            return;
        }
        // Spare after this request: the idle containers it left, or, as a negative number, the requests
        // now waiting (itself included).
        int spare = waiting == 0 && warm > 0 ? warm - 1 : -(waiting + 1);
        burstLeastSpare = Math.min(burstLeastSpare, spare);
    }

    /** Counts the arrival in the rates and pauses; whether it is the first of a burst. */
    private boolean opensBurst(long now) {
        shortRate.event(now);
        longRate.event(now);
        boolean opens = !arrived || now - lastArrival >= PAUSE.toNanos();
        if (arrived && opens) {
            pauses.recordValue(Math.min(pauses.getHighestTrackableValue(), (now - lastArrival) / 1_000_000));
        }
        lastArrival = now;
        arrived = true;
        return opens;
    }

    /**
     * What the current burst needed ready at its first request to have served every request of its first
     * {@link #BURST_HORIZON} from a container started before it, with none to spare at its tightest: what
     * it had, less the least spare (plus the most requests waiting at once). It assumes the pool starts
     * containers during the next burst as it did during this one: an estimate corrected each burst.
     */
    private int currentBurstNeed() {
        return burstLeastSpare == Integer.MAX_VALUE ? 0 : Math.max(0, burstReady - burstLeastSpare);
    }

    private int burstNeed() {
        int need = currentBurstNeed();
        for (int i = 0; i < Math.min(closedBursts, burstNeeds.length); i++) {
            need = Math.max(need, burstNeeds[i]);
        }
        return need;
    }

    /** A request held its slot for {@code nanos} (from the init's ACK to the end of the request). */
    synchronized void served(long nanos) {
        serviceSeconds = average(serviceSeconds, nanos / 1e9, SERVICE_ALPHA);
    }

    /** A container took {@code nanos} from create to hello. */
    synchronized void started(long nanos) {
        startSeconds = average(startSeconds, nanos / 1e9, START_ALPHA);
    }

    private static double average(double current, double sample, double alpha) {
        return Double.isNaN(current) ? sample : current + alpha * (sample - current);
    }

    /**
     * Whether a busy slot usually serves its request faster than a new container starts: then a
     * waiting request is better served by the next slot that comes free than by a start.
     */
    synchronized boolean servesFasterThanAStart() {
        return !Double.isNaN(serviceSeconds) && !Double.isNaN(startSeconds) && serviceSeconds < startSeconds;
    }

    /** The state at {@code now}, for one decision. */
    synchronized Snapshot snapshot(long now) {
        long n = pauses.getTotalCount();
        return new Snapshot(shortRate.at(now), longRate.at(now),
                Double.isNaN(serviceSeconds) ? 0 : serviceSeconds, Double.isNaN(startSeconds) ? 0 : startSeconds,
                now - deployed, arrived ? now - lastArrival : -1, shortRate.atLastEvent(), n,
                n == 0 ? 0 : pauses.getValueAtPercentile(5) / 1000.0,
                n == 0 ? 0 : pauses.getValueAtPercentile(99) / 1000.0, burstNeed());
    }

    /**
     * @param shortRate      requests per second over the short window
     * @param longRate       requests per second over the long window
     * @param serviceSeconds average time a request holds its slot
     * @param startSeconds   average container start time
     * @param sinceDeployedNanos time since the function was deployed
     * @param sinceLastNanos time since the last request, -1 before the first
     * @param rateAtLast     the short-window rate just after the last request
     * @param pauses         how many pauses (silences of at least {@link #PAUSE}) were seen
     * @param pauseP5Seconds  5th percentile of the pauses
     * @param pauseP99Seconds 99th percentile of the pauses
     * @param burstNeed      the most containers one of the last {@link #BURSTS} bursts needed ready at its
     *                       first request (0 when the pool's containers were not reported)
     */
    record Snapshot(double shortRate, double longRate, double serviceSeconds, double startSeconds,
            long sinceDeployedNanos, long sinceLastNanos, double rateAtLast, long pauses, double pauseP5Seconds,
            double pauseP99Seconds, int burstNeed) {
        /** Whether the function is in a pause now: silent for at least {@link #PAUSE}. */
        boolean paused() {
            return sinceLastNanos >= PAUSE.toNanos();
        }
    }

    /**
     * An event rate smoothed exponentially over a window: each event adds {@code 1/window} and the
     * sum decays with time constant {@code window}, so a steady rate r reads as r.
     */
    static final class DecayingRate {
        private final double tauSeconds;
        private double value;
        private long updated;

        DecayingRate(Duration window) {
            this.tauSeconds = window.toNanos() / 1e9;
        }

        void event(long now) {
            value = at(now) + 1 / tauSeconds;
            updated = now;
        }

        double at(long now) {
            return value == 0 ? 0 : value * Math.exp(-Math.max(0, now - updated) / 1e9 / tauSeconds);
        }

        /** The rate just after the last event: during a pause, the rate the traffic had. */
        double atLastEvent() {
            return value;
        }
    }
}
