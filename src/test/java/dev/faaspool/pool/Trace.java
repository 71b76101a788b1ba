package dev.faaspool.pool;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

/**
 * A synthetic request trace for {@link TraceReplay}: arrival times and each request's service time,
 * generated from a seed, so that every system replays exactly the same requests.
 *
 * @param name         short name, for tables
 * @param description  what the trace is, for the report
 * @param durationNanos how long the trace runs (virtual time)
 * @param arrivals     arrival times, nanoseconds from the trace's start, ascending
 * @param serviceNanos each request's service time (accept to the end of the request)
 */
record Trace(String name, String description, long durationNanos, long[] arrivals, long[] serviceNanos) {
    private static final long S = 1_000_000_000L;
    /** Service times: log-normal around the median, σ = 0.25 (p99 ≈ 1.8× the median). */
    private static final double SERVICE_SIGMA = 0.25;

    int requests() {
        return arrivals.length;
    }

    /**
     * The five traces of the benchmark. {@code scale} multiplies every rate (oneshot mode uses 0.2: this
     * machine starts only ~6 containers a second); {@code quick} shortens them for the unit test.
     */
    static List<Trace> standard(double scale, boolean quick, long seed, double serviceMillis) {
        Duration hour = Duration.ofHours(1);
        return List.of(
                steady(5 * scale, quick ? Duration.ofMinutes(30) : hour.multipliedBy(2), seed + 1, serviceMillis),
                onOff(20 * scale, Duration.ofMinutes(2), Duration.ofMinutes(8), quick ? hour : hour.multipliedBy(3),
                        seed + 2, serviceMillis),
                spike(2 * scale, 20 * scale, Duration.ofMinutes(1), quick ? List.of(Duration.ofMinutes(20))
                        : List.of(Duration.ofMinutes(30), Duration.ofMinutes(90)),
                        quick ? Duration.ofMinutes(40) : hour.multipliedBy(2), seed + 3, serviceMillis),
                diurnal(0.5 * scale, 20 * scale, quick ? hour.multipliedBy(2) : hour.multipliedBy(24), seed + 4,
                        serviceMillis),
                periodic(Duration.ofMinutes(5), Duration.ofSeconds(5), quick ? hour.multipliedBy(3) : hour.multipliedBy(12),
                        seed + 5, serviceMillis));
    }

    /**
     * Out of sample: traces the scheduler was not tuned on, shaped like the public Azure Functions invocation
     * trace (Shahrad et al., "Serverless in the Wild", USENIX ATC 2020): per-minute invocation counts of a mix of
     * functions whose mean rates are heavy-tailed (here Pareto, α 0.8, from 0.05 a minute, capped at 10 req/s),
     * by trigger: timers (a call every 1, 5, 15 or 60 minutes), HTTP (Poisson counts a minute whose mean follows
     * a day's sine and a log-normal per-minute burstiness, σ 0.8), and queues (on/off: bursts of about 5 minutes
     * at six times the mean, silences of about 30). Within a minute, calls are spread uniformly, as the public
     * trace gives only counts. A seed family of its own ({@code seed} is mixed, not offset), 12 h each.
     */
    static List<Trace> azureLike(long seed, int functions, double serviceMillis) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 0xA2E);
        int minutes = 12 * 60;
        java.util.List<Trace> out = new java.util.ArrayList<>();
        for (int f = 0; f < functions; f++) {
            double u = r.nextDouble();
            double mean = Math.min(600, 0.05 / Math.pow(1 - r.nextDouble(), 1 / 0.8)); // calls a minute
            long[] counts = new long[minutes];
            String kind;
            String what;
            if (u < 0.3) {
                int[] periods = {1, 5, 15, 60};
                int p = periods[r.nextInt(periods.length)];
                int offset = r.nextInt(p);
                for (int m = offset; m < minutes; m += p) {
                    counts[m] = 1;
                }
                kind = "timer";
                what = "a timer: one call every " + p + " min";
            } else if (u < 0.8) {
                double phase = r.nextDouble() * 2 * Math.PI;
                for (int m = 0; m < minutes; m++) {
                    double day = 0.6 + 0.4 * Math.sin(2 * Math.PI * m / (24 * 60.0) + phase);
                    counts[m] = poissonCount(r, mean * day * Math.exp(0.8 * gaussian(r) - 0.32));
                }
                kind = "http";
                what = String.format(Locale.ROOT, "HTTP: %.2f calls/min on average, following a day's sine, bursty by the minute", mean);
            } else {
                boolean on = false;
                for (int m = 0; m < minutes; m++) {
                    on = on ? r.nextDouble() >= 1 / 5.0 : r.nextDouble() < 1 / 30.0;
                    counts[m] = on ? poissonCount(r, mean * 6) : 0;
                }
                kind = "queue";
                what = String.format(Locale.ROOT, "a queue: bursts of about 5 min at %.2f calls/min, silences of about 30 min", mean * 6);
            }
            long total = Arrays.stream(counts).sum();
            long[] at = new long[(int) total];
            int n = 0;
            for (int m = 0; m < minutes; m++) {
                for (long c = 0; c < counts[m]; c++) {
                    at[n++] = m * 60 * S + (long) (r.nextDouble() * 60 * S);
                }
            }
            Arrays.sort(at);
            out.add(new Trace("azure-" + (f + 1) + "-" + kind, "Out of sample, Azure-shaped: " + what + ", for 12 h.",
                    minutes * 60 * S, at, services(r, n, serviceMillis)));
        }
        return List.copyOf(out);
    }

    /** A Poisson count of mean {@code mean} (Knuth's method below 30, a rounded normal above). */
    private static long poissonCount(SplittableRandom r, double mean) {
        if (mean <= 0) {
            return 0;
        }
        if (mean > 30) {
            return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(r)));
        }
        double limit = Math.exp(-mean), p = 1;
        long k = -1;
        do {
            k++;
            p *= r.nextDouble();
        } while (p > limit);
        return k;
    }

    /** Poisson arrivals at a constant rate. */
    static Trace steady(double rate, Duration length, long seed, double serviceMillis) {
        return poisson("steady", String.format("Poisson arrivals at %s req/s for %s.", num(rate), human(length)),
                t -> rate, rate, length, seed, serviceMillis);
    }

    /** Poisson at {@code rate} for {@code on}, then nothing for {@code off}, repeated. */
    static Trace onOff(double rate, Duration on, Duration off, Duration length, long seed, double serviceMillis) {
        double onS = on.toNanos() / 1e9, cycle = onS + off.toNanos() / 1e9;
        return poisson("on/off", String.format("Bursts: %s of Poisson at %s req/s, then %s without a request, "
                + "repeated for %s.", human(on), num(rate), human(off), human(length)),
                t -> t % cycle < onS ? rate : 0, rate, length, seed, serviceMillis);
    }

    /** Poisson at {@code base}; at each of {@code at} the rate jumps to {@code peak} at once, for {@code len}. */
    static Trace spike(double base, double peak, Duration len, List<Duration> at, Duration length, long seed,
            double serviceMillis) {
        double lenS = len.toNanos() / 1e9;
        double[] starts = at.stream().mapToDouble(d -> d.toNanos() / 1e9).toArray();
        DoubleUnaryOperator rate = t -> {
            for (double s : starts) {
                if (t >= s && t < s + lenS) {
                    return peak;
                }
            }
            return base;
        };
        return poisson("spike", String.format("Poisson at %s req/s; at %s the rate jumps to %s req/s (%.0fx) "
                + "from one second to the next, for %s, then drops back; %s in all.", num(base),
                at.stream().map(Trace::clock).toList().toString().replaceAll("[\\[\\]]", ""), num(peak), peak / base,
                human(len), human(length)), rate, peak, length, seed, serviceMillis);
    }

    /** Poisson whose rate follows a day's sine, from {@code low} at the start to {@code high} at its middle. */
    static Trace diurnal(double low, double high, Duration length, long seed, double serviceMillis) {
        double period = length.toNanos() / 1e9;
        return poisson("diurnal", String.format("Poisson whose rate follows one sine period over %s, from %s req/s "
                + "(start and end) to %s req/s (middle)%s.", human(length), num(low), num(high),
                length.toHours() == 24 ? ": a day" : " (a day, compressed)"),
                t -> low + (high - low) * (1 - Math.cos(2 * Math.PI * t / period)) / 2, high, length, seed,
                serviceMillis);
    }

    /** One request every {@code every}, each off its slot by up to ±{@code jitter} (uniform). */
    static Trace periodic(Duration every, Duration jitter, Duration length, long seed, double serviceMillis) {
        SplittableRandom r = new SplittableRandom(seed);
        long e = every.toNanos(), j = jitter.toNanos();
        int n = (int) (length.toNanos() / e);
        long[] at = new long[n];
        for (int i = 0; i < n; i++) {
            at[i] = e / 2 + i * e + (long) ((r.nextDouble() * 2 - 1) * j);
        }
        return new Trace("periodic", String.format("One request every %s (a cron-like function), each up to ±%s off "
                + "its slot, for %s.", human(every), human(jitter), human(length)), length.toNanos(), at,
                services(r, n, serviceMillis));
    }

    /** A non-homogeneous Poisson process by thinning: candidates at {@code max}, kept with probability rate/max. */
    static Trace poisson(String name, String description, DoubleUnaryOperator rateAt, double max, Duration length,
            long seed, double serviceMillis) {
        SplittableRandom r = new SplittableRandom(seed);
        long end = length.toNanos();
        long[] at = new long[1024];
        int n = 0;
        double t = 0;
        while (true) {
            t += -Math.log(1 - r.nextDouble()) / max;
            long nanos = (long) (t * 1e9);
            if (nanos >= end) {
                break;
            }
            if (r.nextDouble() * max < rateAt.applyAsDouble(t)) {
                if (n == at.length) {
                    at = Arrays.copyOf(at, n * 2);
                }
                at[n++] = nanos;
            }
        }
        return new Trace(name, description, end, Arrays.copyOf(at, n), services(r, n, serviceMillis));
    }

    private static long[] services(SplittableRandom r, int n, double medianMillis) {
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = (long) (medianMillis * 1e6 * Math.exp(SERVICE_SIGMA * gaussian(r)));
        }
        return s;
    }

    /** A standard normal deviate (Box–Muller). */
    static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        if (s % 3600 == 0) {
            return s / 3600 + " h";
        }
        if (s % 60 == 0) {
            return s / 60 + " min";
        }
        return s + " s";
    }

    private static String clock(Duration d) {
        return String.format("t=%d:%02d", d.toHours(), d.toMinutesPart());
    }
}
