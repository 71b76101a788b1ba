package dev.faaspool.cli;

import dev.faaspool.metrics.LatencyKind;
import dev.faaspool.metrics.LatencyLog;
import dev.faaspool.metrics.RequestCounters;
import dev.faaspool.pool.FunctionPool;
import dev.faaspool.pool.PoolSnapshot;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * What the pool is doing, in one line: per function warm/busy/starting containers, the request rate
 * and the warm dispatch p99. On a terminal the line is redrawn in place every second; otherwise it is
 * printed as a plain line every {@code plainEvery}.
 */
final class StatusLine implements AutoCloseable {
    private final java.util.function.Supplier<? extends Collection<FunctionPool>> pools;
    private final Map<String, RequestCounters> counters;
    private final LatencyLog latencies;
    private final PrintStream out;
    private final boolean terminal;
    private final Map<String, Long> lastRequests = new HashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "status-line");
        t.setDaemon(true);
        return t;
    });
    private long lastNanos = System.nanoTime();

    StatusLine(java.util.function.Supplier<? extends Collection<FunctionPool>> pools, Map<String, RequestCounters> counters, LatencyLog latencies,
            PrintStream out, boolean terminal, Duration plainEvery) {
        this.pools = pools;
        this.counters = counters;
        this.latencies = latencies;
        this.out = out;
        this.terminal = terminal;
        long period = terminal ? 1000 : plainEvery.toMillis();
        timer.scheduleAtFixedRate(this::print, period, period, TimeUnit.MILLISECONDS);
    }

    /** Whether standard output is a terminal the line can be redrawn on. */
    static boolean onTerminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try { // Console.isTerminal() is Java 22's; before it, a console meant a terminal
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    private synchronized void print() {
        String line = line();
        if (terminal) {
            out.print("\r\033[2K" + line);
        } else {
            out.println(line);
        }
        out.flush();
    }

    String line() {
        long now = System.nanoTime();
        double secs = Math.max(1e-3, (now - lastNanos) / 1e9);
        lastNanos = now;
        Map<String, Map<LatencyKind, Histogram>> totals = latencies.totals();
        StringJoiner all = new StringJoiner("  |  ");
        for (FunctionPool fp : pools.get()) {
            PoolSnapshot p = fp.snapshot();
            String fn = p.name();
            RequestCounters c = counters.get(fn);
            long requests = c.warm.sum() + c.cold.sum() + c.rejected.sum() + c.failed.sum();
            long before = lastRequests.getOrDefault(fn, 0L);
            lastRequests.put(fn, requests);
            Histogram warm = totals.containsKey(fn) ? totals.get(fn).get(LatencyKind.WARM) : new Histogram(3);
            all.add(String.format(Locale.ROOT, "%s: %d warm %d busy %d starting, %.1f req/s, warm p99 %s", fn,
                    p.warm(), p.busy(), p.starting(),
                    (requests - before) / secs,
                    warm.getTotalCount() == 0 ? "-" : String.format(Locale.ROOT, "%.2f ms",
                            warm.getValueAtPercentile(99) / 1000.0)));
        }
        return all.toString();
    }

    @Override
    public synchronized void close() {
        timer.shutdownNow();
        if (terminal) {
            out.print("\r\033[2K");
            out.flush();
        }
    }
}
