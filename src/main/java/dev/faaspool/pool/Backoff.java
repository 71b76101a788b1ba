package dev.faaspool.pool;

import java.time.Duration;

/**
 * The wait before the next container start of a function whose starts keep failing: doubles from
 * {@code initial} with each consecutive failure, up to {@code max}.
 */
record Backoff(Duration initial, Duration max) {
    static final Backoff DEFAULT = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));

    Backoff {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max (was " + initial + ", " + max + ")");
        }
    }

    /** The delay after {@code failures} consecutive failures; zero when there were none. */
    Duration delay(int failures) {
        if (failures <= 0) {
            return Duration.ZERO;
        }
        long nanos = initial.toNanos();
        for (int i = 1; i < failures && nanos < max.toNanos(); i++) {
            nanos = nanos > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : nanos * 2;
        }
        return nanos > max.toNanos() ? max : Duration.ofNanos(nanos);
    }
}
