package dev.faaspool.pool;

import java.time.Duration;
import org.HdrHistogram.Histogram;

/**
 * What one function's traffic looks like, as the scaling policy needs it: the arrival rate smoothed
 * over a short and a long window, how long a request keeps a slot unavailable, and its pauses: the
 * distribution of the silences of at least {@link #PAUSE} between requests, and the rate its traffic
 * had when it last went quiet. Time comes in as arguments ({@link System#nanoTime()} scale), so tests
 * drive it with a fake clock. Thread-safe: dispatchers record, the pool's owner reads.
 */
final class Demand {
    static final Duration SHORT_WINDOW = Duration.ofSeconds(10);
    static final Duration LONG_WINDOW = Duration.ofMinutes(5);
    /** Weight of the newest observation in the service and start time averages. */
    private static final double ALPHA = 0.2;

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
    private long lastArrival;
    private boolean arrived;

    /** A request arrived at {@code now}. */
    synchronized void arrival(long now) {
        shortRate.event(now);
        longRate.event(now);
        if (arrived && now - lastArrival >= PAUSE.toNanos()) {
            pauses.recordValue(Math.min(pauses.getHighestTrackableValue(), (now - lastArrival) / 1_000_000));
        }
        lastArrival = now;
        arrived = true;
    }

    /** A request held its slot for {@code nanos} (from the init's ACK to the end of the request). */
    synchronized void served(long nanos) {
        serviceSeconds = average(serviceSeconds, nanos / 1e9);
    }

    /** A container took {@code nanos} from create to hello. */
    synchronized void started(long nanos) {
        startSeconds = average(startSeconds, nanos / 1e9);
    }

    private static double average(double current, double sample) {
        return Double.isNaN(current) ? sample : current + ALPHA * (sample - current);
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
                arrived ? now - lastArrival : -1, shortRate.atLastEvent(), n,
                n == 0 ? 0 : pauses.getValueAtPercentile(5) / 1000.0,
                n == 0 ? 0 : pauses.getValueAtPercentile(99) / 1000.0);
    }

    /**
     * @param shortRate      requests per second over the short window
     * @param longRate       requests per second over the long window
     * @param serviceSeconds average time a request holds its slot
     * @param startSeconds   average container start time
     * @param sinceLastNanos time since the last request, -1 before the first
     * @param rateAtLast     the short-window rate just after the last request
     * @param pauses         how many pauses (silences of at least {@link #PAUSE}) were seen
     * @param pauseP5Seconds  5th percentile of the pauses
     * @param pauseP99Seconds 99th percentile of the pauses
     */
    record Snapshot(double shortRate, double longRate, double serviceSeconds, double startSeconds,
            long sinceLastNanos, double rateAtLast, long pauses, double pauseP5Seconds, double pauseP99Seconds) {
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
