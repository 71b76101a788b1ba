package dev.faaspool.pool;

/**
 * Monotonic nanoseconds, on {@link System#nanoTime()}'s scale: the pool's one source of elapsed time.
 * A seam, as Caffeine's {@code Ticker}: the pool reads it wherever it needs "now", so that its rules run
 * on a fake ticker in tests and in the trace replay, in virtual time.
 */
@FunctionalInterface
public interface Ticker {
    /** Nanoseconds since an arbitrary origin; only differences mean anything. */
    long read();

    /** The machine's monotonic clock. */
    static Ticker system() {
        return System::nanoTime;
    }
}
