package dev.faaspool.pool;

import dev.faaspool.runtime.FakeRuntime;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;

/**
 * How long the container engine takes to start containers, for the trace replay: the time a
 * {@link FakeRuntime} start waits, in virtual time. At most {@link #START_CONCURRENCY} starts run at once
 * (the others queue); alone, a start takes a log-normal time with median 220 ms and p99 400 ms (this
 * machine, benchmark/results/dispatch-latency.md); with {@code c} running, each advances at
 * {@code 1 / (1 + 0.7·(c - 1))} of its solo speed, which reproduces the measured 20 simultaneous starts
 * (p90 ~1.7 s, last ~3.5 s). Starts never fail.
 *
 * <p>A start parks its launcher thread ({@link SteppedExecutor#park}); the replay's driver asks
 * {@link #nextCompletion} when the next one is done and {@link #complete}s it then.
 */
final class EngineModel implements FakeRuntime.Sleeper {
    static final int START_CONCURRENCY = 4;
    static final double START_SLOWDOWN = 0.7;
    static final double START_MEDIAN_SECONDS = 0.220;
    /** σ of the log-normal start time: p99 = median · e^(2.326σ) = 400 ms. */
    static final double START_SIGMA = Math.log(0.400 / START_MEDIAN_SECONDS) / 2.326;

    /** One start: its solo work left, in seconds, and the launcher parked on it. */
    static final class Start {
        final Semaphore go = new Semaphore(0);
        double work;

        Start(double work) {
            this.work = work;
        }
    }

    private final FakeTicker ticker;
    private final SteppedExecutor launchers;
    private final SplittableRandom random;
    private final ArrayDeque<Start> queue = new ArrayDeque<>();
    private final List<Start> active = new ArrayList<>();
    private long updated;

    EngineModel(FakeTicker ticker, SteppedExecutor launchers, long seed) {
        this.ticker = ticker;
        this.launchers = launchers;
        this.random = new SplittableRandom(seed);
    }

    /** A launcher's start: the requested delay is the model's to decide; parks until the start is done. */
    @Override
    public void sleep(Duration ignored) throws InterruptedException {
        Start s;
        synchronized (this) {
            progress(ticker.read());
            s = new Start(START_MEDIAN_SECONDS * Math.exp(START_SIGMA * Trace.gaussian(random)));
            queue.add(s);
            admit();
        }
        launchers.park(s.go);
    }

    /** When the next running start is done, in ticker time; {@link Long#MAX_VALUE} when none runs. */
    synchronized long nextCompletion() {
        if (active.isEmpty()) {
            return Long.MAX_VALUE;
        }
        double least = Double.MAX_VALUE;
        for (Start s : active) {
            least = Math.min(least, s.work);
        }
        return updated + (long) Math.ceil(Math.max(0, least) * slowdown() * 1e9);
    }

    /** The starts done by {@code now}, taken off the engine (queued ones move up); their launchers go on. */
    synchronized List<Start> complete(long now) {
        progress(now);
        List<Start> done = new ArrayList<>();
        for (Start s : active) {
            if (s.work <= 1e-9) {
                done.add(s);
            }
        }
        active.removeAll(done);
        admit();
        return done;
    }

    private double slowdown() {
        return 1 + START_SLOWDOWN * (active.size() - 1);
    }

    private void progress(long now) {
        if (!active.isEmpty()) {
            double progressed = (now - updated) / 1e9 / slowdown();
            for (Start s : active) {
                s.work -= progressed;
            }
        }
        updated = now;
    }

    private void admit() {
        while (active.size() < START_CONCURRENCY && !queue.isEmpty()) {
            active.add(queue.poll());
        }
    }
}
