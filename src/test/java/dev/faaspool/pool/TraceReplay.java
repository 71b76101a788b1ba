package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.HandlerMode;
import dev.faaspool.config.Prewarm;
import dev.faaspool.config.Scaling;
import dev.faaspool.config.Specs;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The trace-replay benchmark: each {@link Trace} replayed in virtual time ({@link PoolReplay}) against
 * the pre-warm scheduler ({@code scaling: demand}, learned pre-warming) and against fixed pools
 * ({@code scaling: fixed}) of about the same mean size, deciding with the real {@link ScalingPolicy} and
 * {@link Demand}. benchmark/trace-replay.sh runs it and writes the Markdown it prints to
 * benchmark/results/trace-replay.md; {@link TraceReplayTest} runs shortened traces.
 *
 * <h2>What is compared</h2>
 * The scheduler runs with min 0 (scale to zero) and with min 1. Two kinds of fixed pool, each in a range of
 * sizes: {@code fixed, min N, max 50} is what {@code scaling: fixed} does with the scheduler's max: N warm
 * containers kept ready, one more started for each request that has to wait, extras retired after the idle
 * TTL; its mean size is therefore above N. {@code fixed, min = max = N} is a pool of exactly N containers.
 * Since a pool's size comes in whole containers, the fixed pools shown are, for each kind, the two whose
 * measured warm-container-seconds bracket the scheduler's: the largest that costs less, and the smallest
 * that costs at least as much ("the same mean size", rounded down and up by what it costs).
 *
 * <h2>The verdict</h2>
 * The scheduler wins a trace against a kind of fixed pool when it had fewer cold requests than the
 * smallest pool of that kind with at least its warm-container-seconds: fewer cold requests at no more
 * memory. Cold, as faas-pool counts it: the request waited for a container to start (or past the acquire
 * timeout); waiting for a busy container to come free is queueing, seen in the latencies. A second
 * reading compares with a pool of exactly the scheduler's cost, on the line between the two sizes. One
 * draw of a trace is one sample, so each table is followed by the same comparison summed over
 * {@link #DRAWS} other draws.
 */
public final class TraceReplay {
    static final long SEED = 20261126L;
    static final int MAX = 50;
    static final Duration IDLE_TTL = Duration.ofMinutes(10);

    private TraceReplay() {}

    /** One table: a handler mode, a service time and a rate scale for all five traces. */
    record Setup(String key, String title, HandlerMode mode, double serviceMillis, double scale, String note) {}

    static final List<Setup> SETUPS = List.of(
            new Setup("fork", "Fork mode, 20 ms requests (main table)", HandlerMode.FORK, 20, 1,
                    "Containers are reused: a request holds one for its 20 ms, then it is warm again."),
            new Setup("oneshot", "Oneshot mode, 20 ms requests, rates x0.2", HandlerMode.ONESHOT, 20, 0.2,
                    "Every request uses up its container; the pool starts a replacement when it takes one. The rates are "
                            + "a fifth of the fork table's: at 20 req/s this machine (2 cores) would have to start 20 "
                            + "containers a second, and the modelled engine manages about 6 (4 at once, each slowed by the "
                            + "others), so every system would drown."),
            new Setup("fork250", "Fork mode, 250 ms requests", HandlerMode.FORK, 250, 1,
                    "A heavier function: at 20 req/s five requests run at once, so the pool needs several containers "
                            + "at the peaks and few in the troughs."),
            new Setup("azure", "Out of sample: Azure-shaped functions, fork mode, 20 ms requests", HandlerMode.FORK, 20, 1,
                    "Traces the scheduler was not tuned on (Trace.azureLike, a seed family of its own): ten functions "
                            + "drawn from a heavy-tailed mix of timers, HTTP and queue triggers, as in the public Azure "
                            + "Functions trace. Reported apart from the tables above, which the scheduler's rules were "
                            + "tuned against."));

    /** The traces of {@code setup}, drawn with {@code seed}. */
    static List<Trace> traces(Setup setup, long seed) {
        return setup.key().equals("azure") ? Trace.azureLike(seed, AZURE_FUNCTIONS, setup.serviceMillis())
                : Trace.standard(setup.scale(), false, seed, setup.serviceMillis());
    }

    static final int AZURE_FUNCTIONS = 10;

    /** {@code scaling: demand, prewarm: learned | off, min: <min>, max: 50, idle-ttl: 10m} (and the default initial: 1). */
    static FunctionSpec scheduler(HandlerMode mode, int min, Prewarm prewarm) {
        return Specs.function("f").mode(mode).min(min).max(MAX).idleTtl(IDLE_TTL).prewarm(prewarm).build();
    }

    /** A configuration of the scheduler. */
    record Variant(String label, int min, Prewarm prewarm) {}

    /** The scheduler's configurations compared. */
    static List<Variant> variants = List.of(new Variant("scheduler, min 0", 0, Prewarm.LEARNED),
            new Variant("scheduler, min 1", 1, Prewarm.LEARNED));

    /** {@code scaling: fixed, min: <min>, max: <max>, idle-ttl: 10m}. */
    static FunctionSpec fixed(HandlerMode mode, int min, int max) {
        return Specs.function("f").mode(mode).scaling(Scaling.FIXED).min(min).max(max).idleTtl(IDLE_TTL).build();
    }

    /** A kind of fixed pool, by size. */
    enum Kind {
        GROWING("fixed, min N, max 50") {
            @Override
            FunctionSpec spec(HandlerMode mode, int n) {
                return fixed(mode, n, MAX);
            }

            @Override
            String label(int n) {
                return "fixed, min " + n + ", max " + MAX;
            }
        },
        CONSTANT("fixed, min = max = N") {
            @Override
            FunctionSpec spec(HandlerMode mode, int n) {
                return fixed(mode, n, n);
            }

            @Override
            String label(int n) {
                return "fixed, min = max = " + n;
            }

            @Override
            int smallest() {
                return 1; // max >= 1
            }
        };

        final String title;

        Kind(String title) {
            this.title = title;
        }

        abstract FunctionSpec spec(HandlerMode mode, int n);

        abstract String label(int n);

        int smallest() {
            return 0;
        }
    }

    /** A fixed pool's replay, with its size. */
    record Fixed(Kind kind, int n, PoolReplay.Result result) {}

    /** The scheduler against the fixed pools that cost no more ({@code below}) and at least as much ({@code above}). */
    record Verdict(PoolReplay.Result scheduler, Kind kind, Fixed below, Fixed above) {
        boolean wins() {
            return scheduler.cold() < above.result().cold();
        }

        /**
         * Whether the scheduler had fewer cold requests than a fixed pool of exactly its cost would, on the line
         * between the two neighbours; null when no pool of this kind costs less.
         */
        /** As many cold requests as the pool that costs at least as much: neither wins. */
        boolean ties() {
            return scheduler.cold() == above.result().cold();
        }

        Boolean winsOnTheLine() {
            return below == null ? null : scheduler.cold() < interpolatedCold();
        }

        /** Cold requests of a fixed pool of exactly the scheduler's cost, on the line between the neighbours. */
        double interpolatedCold() {
            if (below == null) {
                return Double.NaN;
            }
            double w0 = below.result().containerSeconds(), w1 = above.result().containerSeconds();
            double f = w1 == w0 ? 0 : (scheduler.containerSeconds() - w0) / (w1 - w0);
            return below.result().cold() + f * (above.result().cold() - below.result().cold());
        }
    }

    /** One trace's replays. */
    record Comparison(Trace trace, List<PoolReplay.Result> schedulers, List<Fixed> fixed, List<Verdict> verdicts) {
        /** The verdict on the scheduler labelled {@code scheduler} against the fixed pools of {@code kind}. */
        Verdict verdict(String scheduler, Kind kind) {
            return verdicts.stream().filter(v -> v.scheduler().system().equals(scheduler) && v.kind() == kind)
                    .findFirst().orElseThrow();
        }
    }

    static Comparison compare(Trace t, HandlerMode mode) {
        return compare(t, mode, SEED);
    }

    /** Every system on {@code t}; {@code seed} draws the modelled engine's start times. */
    static Comparison compare(Trace t, HandlerMode mode, long seed) {
        List<PoolReplay.Result> schedulers = new ArrayList<>();
        for (Variant v : variants) {
            schedulers.add(new PoolReplay(scheduler(mode, v.min(), v.prewarm()), seed).run(t, v.label()));
        }
        double mostExpensive = schedulers.stream().mapToDouble(PoolReplay.Result::containerSeconds).max().orElseThrow();
        List<Fixed> fixed = new ArrayList<>();
        List<Verdict> verdicts = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            List<Fixed> sweep = new ArrayList<>();
            for (int n = kind.smallest(); n <= MAX; n++) {
                Fixed f = new Fixed(kind, n, new PoolReplay(kind.spec(mode, n), seed).run(t, kind.label(n)));
                sweep.add(f);
                if (f.result().containerSeconds() >= mostExpensive) {
                    break;
                }
            }
            for (PoolReplay.Result s : schedulers) {
                Fixed below = null, above = null;
                for (Fixed f : sweep) {
                    if (f.result().containerSeconds() < s.containerSeconds()) {
                        below = f;
                    }
                    if (above == null && f.result().containerSeconds() >= s.containerSeconds()) {
                        above = f;
                    }
                }
                if (above == null) {
                    throw new IllegalStateException(t.name() + ": no " + kind.title + " pool costs as much as " + s.system());
                }
                verdicts.add(new Verdict(s, kind, below, above));
            }
            fixed.addAll(sweep);
        }
        return new Comparison(t, schedulers, fixed, verdicts);
    }

    public static void main(String[] args) {
        Set<String> only = new LinkedHashSet<>();
        int draws = DRAWS;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--draws") && i + 1 < args.length) {
                draws = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--with-prewarm-off")) {
                variants = List.of(variants.get(0), variants.get(1), new Variant("scheduler, min 0, prewarm off", 0, Prewarm.OFF));
            } else {
                only.addAll(List.of(args[i].split(",")));
            }
        }
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream body = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        body.println("## Traces");
        body.println();
        body.println("Rates as in the fork tables (the oneshot table runs them at a fifth); each seeded, so every system "
                + "replays exactly the same requests. Service times are log-normal around the table's median (σ 0.25).");
        body.println();
        for (Trace t : Trace.standard(1, false, SEED, 20)) {
            body.printf(Locale.ROOT, "- **%s**: %s %,d requests.%n", t.name(), t.description(), t.requests());
        }
        for (Trace t : Trace.azureLike(SEED, AZURE_FUNCTIONS, 20)) {
            body.printf(Locale.ROOT, "- **%s**: %s %,d requests.%n", t.name(), t.description(), t.requests());
        }
        body.println();
        printStartModel(body);
        List<Summary> summary = new ArrayList<>();
        long rejected = 0, rejectedByScheduler = 0, rejectedUnshown = 0;
        for (Setup setup : SETUPS) {
            if (!only.isEmpty() && !only.contains(setup.key())) {
                continue;
            }
            long t0 = System.nanoTime();
            List<Comparison> comparisons = new ArrayList<>();
            for (Trace t : traces(setup, SEED)) {
                comparisons.add(compare(t, setup.mode()));
            }
            printTable(body, setup, comparisons, (System.nanoTime() - t0) / 1e9);
            if (draws > 0) {
                printDraws(body, setup, draws);
            }
            for (Comparison c : comparisons) {
                for (Verdict v : c.verdicts()) {
                    summary.add(new Summary(setup.key(), c.trace().name(), v));
                }
                Set<PoolReplay.Result> shown = Collections.newSetFromMap(new IdentityHashMap<>());
                shown.addAll(c.schedulers());
                for (Verdict v : c.verdicts()) {
                    shown.add(v.above().result());
                    if (v.below() != null) {
                        shown.add(v.below().result());
                    }
                }
                for (PoolReplay.Result r : shown) {
                    rejected += r.timeouts();
                }
                for (PoolReplay.Result r : c.schedulers()) {
                    rejectedByScheduler += r.timeouts();
                }
                for (Fixed f : c.fixed()) {
                    if (!shown.contains(f.result())) {
                        rejectedUnshown += f.result().timeouts();
                    }
                }
            }
        }
        printSummary(out, summary); // first: the tables it sums up follow
        out.printf(Locale.ROOT, "Requests answered 503 (waited past the 10 s acquire timeout) by the systems in the tables: %,d, "
                + "of which by the scheduler: %,d. (The smaller constant pools of the sweeps, not shown, cannot keep up "
                + "with the peaks: %,d.)%n%n", rejected, rejectedByScheduler, rejectedUnshown);
        out.print(buffer.toString(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Other draws of every trace replayed by default: seeds {@code SEED + 1000·i}. */
    static final int DRAWS = 8;

    /**
     * The verdicts of {@code setup} over {@code draws} other draws of its traces (arrivals, service and start
     * times): whether the scheduler's wins and losses hold or were the luck of one draw.
     */
    static void printDraws(PrintStream out, Setup setup, int draws) {
        long t0 = System.nanoTime();
        List<List<Comparison>> byDraw = java.util.stream.IntStream.rangeClosed(1, draws).parallel()
                .mapToObj(i -> {
                    long seed = SEED + 1000L * i;
                    return traces(setup, seed).stream()
                            .map(t -> compare(t, setup.mode(), seed)).toList();
                }).toList();
        Variant v = variants.get(0);
        out.printf(Locale.ROOT, "**Over %d other draws** of the same traces (other seeds for arrivals, service and "
                + "start times; %.1f s): %s against each kind of fixed pool, cold requests summed over the draws: its "
                + "own; the fixed pool's of that kind that cost at least as much in each draw; and a pool's of exactly its "
                + "cost, on the line between the two sizes (or that pool's, where none costs less). Then the draws in "
                + "which it had fewer cold requests than the pool that cost at least as much, and as many.%n%n",
                draws, (System.nanoTime() - t0) / 1e9, v.label());
        out.println("| trace | kind | scheduler cold | at least its cost | on the line | fewer in | as many in "
                + "| warm-container-s, scheduler / pool |");
        out.println("|---|---|---|---|---|---|---|---|");
        for (int trace = 0; trace < byDraw.get(0).size(); trace++) {
            for (Kind kind : Kind.values()) {
                long cold = 0, above = 0, fewer = 0, same = 0;
                double line = 0, schedulerCost = 0, aboveCost = 0;
                for (List<Comparison> draw : byDraw) {
                    Verdict verdict = draw.get(trace).verdict(v.label(), kind);
                    cold += verdict.scheduler().cold();
                    above += verdict.above().result().cold();
                    line += verdict.below() == null ? verdict.above().result().cold() : verdict.interpolatedCold();
                    fewer += verdict.wins() ? 1 : 0;
                    same += verdict.ties() ? 1 : 0;
                    schedulerCost += verdict.scheduler().containerSeconds();
                    aboveCost += verdict.above().result().containerSeconds();
                }
                out.printf(Locale.ROOT, "| %s | %s | %,d | %,d | %,.1f | %d of %d | %d | %,.0f / %,.0f |%n",
                        // Out of sample, each draw draws other functions: a row is a position in the mix, not a function.
                        setup.key().equals("azure") ? "azure, function " + (trace + 1) + " of each draw"
                                : byDraw.get(0).get(trace).trace().name(), "`" + kind.title + "`", cold, above, line, fewer,
                        draws, same, schedulerCost, aboveCost);
            }
        }
        out.println();
    }

    private record Summary(String setup, String trace, Verdict verdict) {}

    private static void printSummary(PrintStream out, List<Summary> summary) {
        out.println("## Summary");
        out.println();
        out.println("Traces on which the scheduler had fewer cold requests than the fixed pool of each kind that uses at "
                + "least as many warm-container-seconds (the criterion), and those on which both had as many (tied); "
                + "and, as a second reading of \"the same mean size\", than a fixed pool of exactly the scheduler's cost "
                + "would have, on the line between the two sizes that bracket it (where a cheaper size exists; where "
                + "none does, the scheduler costs less than every pool of the kind).");
        out.println();
        out.println("| table | scheduler | vs `fixed, min N, max 50` | same cost, on the line | vs `fixed, min = max = N` "
                + "| same cost, on the line |");
        out.println("|---|---|---|---|---|---|");
        for (Setup setup : SETUPS) {
            for (Variant variant : variants) {
                List<String> cells = new ArrayList<>();
                for (Kind kind : Kind.values()) {
                    List<Summary> rows = summary.stream().filter(r -> r.setup().equals(setup.key())
                            && r.verdict().scheduler().system().equals(variant.label()) && r.verdict().kind() == kind)
                            .toList();
                    if (rows.isEmpty()) {
                        continue;
                    }
                    List<String> won = rows.stream().filter(r -> r.verdict().wins()).map(Summary::trace).toList();
                    List<String> tied = rows.stream().filter(r -> r.verdict().ties()).map(Summary::trace).toList();
                    cells.add(won.size() + " of " + rows.size() + (won.isEmpty() ? "" : " (" + String.join(", ", won) + ")")
                            + (tied.isEmpty() ? "" : "; tied: " + String.join(", ", tied)));
                    List<Summary> onLine = rows.stream().filter(r -> r.verdict().winsOnTheLine() != null).toList();
                    List<String> wonOnLine = onLine.stream().filter(r -> r.verdict().winsOnTheLine())
                            .map(Summary::trace).toList();
                    List<String> none = rows.stream().filter(r -> r.verdict().winsOnTheLine() == null)
                            .map(Summary::trace).toList();
                    cells.add(wonOnLine.size() + " of " + onLine.size()
                            + (wonOnLine.isEmpty() ? "" : " (" + String.join(", ", wonOnLine) + ")")
                            + (none.isEmpty() ? "" : "; no cheaper size: " + String.join(", ", none)));
                }
                if (!cells.isEmpty()) {
                    out.printf("| %s | %s | %s |%n", setup.key(), variant.label(), String.join(" | ", cells));
                }
            }
        }
        out.println();
    }

    /** The engine model against this machine's measurements (benchmark/results/dispatch-latency.md). */
    static void printStartModel(PrintStream out) {
        Trace none = new Trace("none", "", 30_000_000_000L, new long[0], new long[0]);
        PoolReplay.Result twenty = new PoolReplay(fixed(HandlerMode.FORK, 20, 20), SEED).run(none, "20 at once");
        Trace slow = Trace.periodic(Duration.ofSeconds(10), Duration.ZERO, Duration.ofHours(10), SEED, 20);
        PoolReplay.Result alone = new PoolReplay(fixed(HandlerMode.ONESHOT, 0, 1), SEED).run(slow, "alone");
        out.println("## Container start model");
        out.println();
        out.println("Create to warm, in ms, of the simulated engine (a bulkhead of " + EngineModel.START_CONCURRENCY
                + " concurrent starts, each slowed by the others) and as measured on this machine by "
                + "benchmark/dispatch-latency.sh:");
        out.println();
        out.println("| starts | simulated p50 | p90 | p99 | max | measured |");
        out.println("|---|---|---|---|---|---|");
        out.printf(Locale.ROOT, "| one at a time (%d) | %s | %s | %s | %s | 30 starts: p50 220, p90 245, p99 380 |%n",
                alone.startMicros().getTotalCount(), ms(alone.startMicros(), 50), ms(alone.startMicros(), 90),
                ms(alone.startMicros(), 99), ms(alone.startMicros(), 100));
        out.printf(Locale.ROOT, "| 20 at once | %s | %s | %s | %s | the last of 20 at once: 3488 (p90 1711 over those 20 "
                        + "and the 119 single starts after them) |%n", ms(twenty.startMicros(), 50), ms(twenty.startMicros(), 90),
                ms(twenty.startMicros(), 99), ms(twenty.startMicros(), 100));
        out.println();
    }

    private static String ms(org.HdrHistogram.Histogram h, double p) {
        return String.format(Locale.ROOT, "%.0f", (p >= 100 ? h.getMaxValue() : h.getValueAtPercentile(p)) / 1000.0);
    }

    static void printTable(PrintStream out, Setup setup, List<Comparison> comparisons, double seconds) {
        out.println("## " + setup.title());
        out.println();
        out.println(setup.note() + String.format(Locale.ROOT, " (Replayed in %.1f s.)", seconds));
        out.println();
        out.println("| trace | system | requests | cold | cold % | waited for a start | found none | p50 ms | p99 ms "
                + "| p99.9 ms | warm-container-s | mean containers | starts |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Comparison c : comparisons) {
            List<PoolReplay.Result> rows = new ArrayList<>(c.schedulers());
            Set<Fixed> shown = new LinkedHashSet<>();
            for (Verdict v : c.verdicts()) {
                if (v.below() != null) {
                    shown.add(v.below());
                }
                shown.add(v.above());
            }
            shown.stream().sorted(Comparator.comparing((Fixed f) -> f.kind()).thenComparingInt(Fixed::n))
                    .forEach(f -> rows.add(f.result()));
            for (PoolReplay.Result r : rows) {
                out.printf(Locale.ROOT, "| %s | %s | %,d | %,d | %.3f | %,d | %,d | %.1f | %.1f | %.1f | %,.0f | %.2f | %,d |%n",
                        c.trace().name(), r.system(), r.requests(), r.cold(), 100 * r.coldFraction(), r.coldOnStart(),
                        r.coldEmpty(), r.latencyMillis(50), r.latencyMillis(99), r.latencyMillis(99.9), r.containerSeconds(),
                        r.meanContainers(), r.starts());
            }
        }
        out.println();
        out.println("Verdicts (fewer cold requests than the fixed pool of that kind with at least the scheduler's "
                + "warm-container-seconds?):");
        out.println();
        for (Comparison c : comparisons) {
            for (Verdict v : c.verdicts()) {
                PoolReplay.Result s = v.scheduler(), a = v.above().result();
                String line = String.format(Locale.ROOT, "- %s, %s vs `%s`: **%s**, %,d vs %,d cold at %,.0f vs %,.0f "
                        + "warm-container-s", c.trace().name(), s.system(), a.system(), v.wins() ? "yes" : v.ties() ? "tie" : "no",
                        s.cold(), a.cold(), s.containerSeconds(), a.containerSeconds());
                if (v.below() != null) {
                    line += String.format(Locale.ROOT, "; the cheaper neighbour `%s` had %,d at %,.0f (the line between "
                            + "them: %,.1f cold at the scheduler's cost)", v.below().result().system(),
                            v.below().result().cold(), v.below().result().containerSeconds(), v.interpolatedCold());
                } else {
                    line += "; no pool of this kind costs less";
                }
                out.println(line + ".");
            }
        }
        out.println();
    }
}
