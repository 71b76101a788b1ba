package dev.faaspool.cli;

import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.pool.FunctionPool;
import dev.faaspool.pool.StartFailure;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the pool does while its first containers start, so that a function that cannot get warm is
 * not silence until the warm-up times out.
 *
 * <p>Every second: on a terminal, one line redrawn in place ({@code hello: 7/20 warm  |  python: 0/4 warm
 * — its container exited before the init said hello: exit 127, "..."}); anywhere (a terminal, a test, systemd's
 * journal), a warning in the log the first time a function's starts fail for a reason, and again only for
 * another reason ({@link StartFailure#kind}): the launcher logs every failure in detail already, this says
 * once, in plain words, that the function is not getting warm and why.
 */
final class WarmProgress implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmProgress.class);
    /** Distinct reasons remembered; more than this many means the set is noise, and it starts over. */
    private static final int MAX_REASONS = 1000;

    /** One function's progress as the line shows it. */
    record Progress(String function, int warm, int min, StartFailure failure) {}

    private final Supplier<? extends Collection<FunctionPool>> pools;
    private final PrintStream out;
    private final boolean terminal;
    private final Set<String> logged = new HashSet<>(); // timer thread only
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "warm-progress");
        t.setDaemon(true);
        return t;
    });
    private boolean drawn; // guarded by this

    /**
     * Starts reporting at once, every second, until {@link #close}.
     *
     * @param terminal whether {@code out} is a terminal (see {@link StatusLine#onTerminal}); otherwise no line is printed
     */
    WarmProgress(Supplier<? extends Collection<FunctionPool>> pools, PrintStream out, boolean terminal, TaskGuard guard) {
        this.pools = pools;
        this.out = out;
        this.terminal = terminal;
        timer.scheduleAtFixedRate(guard.guard("warm-progress", this::tick), 1, 1, TimeUnit.SECONDS);
    }

    private void tick() {
        List<Progress> now = new ArrayList<>();
        for (FunctionPool fp : pools.get()) {
            now.add(new Progress(fp.spec().name(), fp.snapshot().warm(), fp.spec().pool().min(), fp.lastStartFailure()));
        }
        List<String> news = news(now);
        synchronized (this) {
            if (timer.isShutdown()) {
                return;
            }
            if (terminal && drawn && !news.isEmpty()) {
                out.print("\r\033[2K"); // the log's lines go below, not into the middle of ours
                out.flush();
            }
            news.forEach(m -> log.warn("{}", m));
            if (terminal) {
                out.print("\r\033[2K" + line(now));
                out.flush();
                drawn = true;
            }
        }
    }

    /** The messages for reasons not told yet: functions short of their minimum whose last start failed. */
    List<String> news(List<Progress> now) {
        List<String> out = new ArrayList<>();
        for (Progress p : now) {
            if (p.failure() == null || p.warm() >= p.min()) {
                continue;
            }
            if (logged.size() >= MAX_REASONS) {
                logged.clear();
            }
            if (logged.add(p.function() + "\n" + p.failure().kind())) {
                out.add(p.function() + ": cannot get warm (" + p.warm() + "/" + p.min() + "): "
                        + p.failure().summary() + "; retrying with back-off");
            }
        }
        return out;
    }

    /** The progress line: each function's warm containers of its minimum, with why its starts fail if they do. */
    static String line(List<Progress> progress) {
        StringJoiner all = new StringJoiner("  |  ");
        for (Progress p : progress) {
            String s = p.function() + ": " + p.warm() + "/" + p.min() + " warm";
            if (p.failure() != null && p.warm() < p.min()) {
                s += " \u2014 " + p.failure().summary();
            }
            all.add(s);
        }
        return all.toString();
    }

    @Override
    public synchronized void close() {
        timer.shutdownNow();
        if (terminal && drawn) {
            out.print("\r\033[2K");
            out.flush();
        }
    }
}
