package dev.faaspool.pool;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link Ticker} that moves only when told: virtual time for the pool's tests and the trace replay. */
public final class FakeTicker implements Ticker {
    private final AtomicLong nanos;

    public FakeTicker() {
        this(0);
    }

    public FakeTicker(long startNanos) {
        this.nanos = new AtomicLong(startNanos);
    }

    @Override
    public long read() {
        return nanos.get();
    }

    public void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    /** Moves to {@code at}; never back. */
    public void advanceTo(long at) {
        nanos.accumulateAndGet(at, Math::max);
    }
}
