/*
 * The benchmarks' load generator: HTTP/1.1 GETs, one TCP connection per request (as a FaaS client
 * makes them), latencies recorded with HdrHistogram.
 *
 *   java -cp target/faas-pool.jar benchmark/LoadGen.java --target 127.0.0.1:8080 --rate 50 --duration 20s
 *   java -cp target/faas-pool.jar benchmark/LoadGen.java --target 127.0.0.1:8080 --connections 8 --duration 20s
 *
 * --rate R (open loop): request i is due at start + i/R. Its latency runs from that intended time,
 *   not from when a thread got round to sending it, so a stalled server shows up in the percentiles
 *   instead of being hidden by fewer requests (coordinated omission).
 * --connections N (closed loop): N clients, each sending its next request when the last one ended;
 *   measures the sustained rate.
 *
 * Prints one line of key=value pairs (for scripts) and, with --histogram FILE, writes the percentile
 * distribution in HdrHistogram's format (values in milliseconds). In open loop the line ends with
 * p50_first_ms and p50_last_ms: the median latency of the requests due in the first and in the last
 * quarter of the run. A server that keeps up has them alike; one that falls behind, the last far higher.
 */
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

public final class LoadGen {
    private final InetSocketAddress target;
    private final byte[] request;
    private final Recorder latency = new Recorder(3);
    private final Recorder firstQuarter = new Recorder(3);
    private final Recorder lastQuarter = new Recorder(3);
    private volatile long firstQuarterEnd = Long.MIN_VALUE;
    private volatile long lastQuarterStart = Long.MAX_VALUE;
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong non200 = new AtomicLong();

    LoadGen(InetSocketAddress target, String path) {
        this.target = target;
        this.request = ("GET " + path + " HTTP/1.1\r\nHost: " + target.getHostString()
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    public static void main(String[] args) throws Exception {
        String target = null, path = "/", histogram = null;
        double rate = 0;
        int connections = 0;
        long durationNanos = TimeUnit.SECONDS.toNanos(10), warmupNanos = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--target" -> target = args[++i];
                case "--path" -> path = args[++i];
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--connections" -> connections = Integer.parseInt(args[++i]);
                case "--duration" -> durationNanos = parseDuration(args[++i]);
                case "--warmup" -> warmupNanos = parseDuration(args[++i]);
                case "--histogram" -> histogram = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (target == null || (rate > 0) == (connections > 0)) {
            System.err.println("usage: LoadGen --target HOST:PORT (--rate R | --connections N) [--duration 10s]"
                    + " [--warmup 0s] [--path /] [--histogram FILE]");
            System.exit(2);
        }
        int colon = target.lastIndexOf(':');
        LoadGen gen = new LoadGen(new InetSocketAddress(target.substring(0, colon),
                Integer.parseInt(target.substring(colon + 1))), path);
        if (warmupNanos > 0) {
            gen.run(rate, connections, warmupNanos);
            gen.reset();
        }
        long t0 = System.nanoTime();
        gen.run(rate, connections, durationNanos);
        double secs = (System.nanoTime() - t0) / 1e9;
        Histogram h = gen.latency.getIntervalHistogram();
        String quarters = "";
        if (rate > 0) {
            quarters = String.format(Locale.ROOT, " p50_first_ms=%.3f p50_last_ms=%.3f",
                    ms(gen.firstQuarter.getIntervalHistogram().getValueAtPercentile(50)),
                    ms(gen.lastQuarter.getIntervalHistogram().getValueAtPercentile(50)));
        }
        System.out.printf(Locale.ROOT, "mode=%s offered=%s requests=%d ok=%d non200=%d errors=%d seconds=%.2f rps=%.1f"
                        + " p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f%s%n",
                rate > 0 ? "open" : "closed", rate > 0 ? fmt(rate) : connections + "conn",
                h.getTotalCount(), gen.ok.get(), gen.non200.get(), gen.errors.get(), secs, gen.ok.get() / secs,
                ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(99)),
                ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()), quarters);
        if (histogram != null) {
            try (PrintStream out = new PrintStream(Files.newOutputStream(Path.of(histogram)))) {
                h.outputPercentileDistribution(out, 1000.0);
            }
        }
        System.exit(gen.errors.get() + gen.non200.get() == 0 ? 0 : 1);
    }

    private void reset() {
        latency.reset();
        firstQuarter.reset();
        lastQuarter.reset();
        ok.set(0);
        errors.set(0);
        non200.set(0);
    }

    private void run(double rate, int connections, long durationNanos) throws InterruptedException {
        long start = System.nanoTime();
        long end = start + durationNanos;
        firstQuarterEnd = start + durationNanos / 4;
        lastQuarterStart = end - durationNanos / 4;
        if (rate > 0) {
            ExecutorService pool = Executors.newCachedThreadPool();
            long interval = (long) (1e9 / rate);
            for (long i = 0; ; i++) {
                long due = start + i * interval;
                if (due >= end) {
                    break;
                }
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                pool.execute(() -> once(due));
            }
            pool.shutdown();
            pool.awaitTermination(5, TimeUnit.MINUTES);
        } else {
            Thread[] clients = new Thread[connections];
            for (int c = 0; c < connections; c++) {
                clients[c] = new Thread(() -> {
                    while (System.nanoTime() < end) {
                        once(System.nanoTime());
                    }
                });
                clients[c].start();
            }
            for (Thread t : clients) {
                t.join();
            }
        }
    }

    /** One request, its latency measured from {@code intendedNanos}. */
    private void once(long intendedNanos) {
        try (Socket s = new Socket()) {
            s.connect(target, 10_000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request);
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (head.size() < 16) {
                    head.write(buf, 0, n);
                }
            }
            long micros = Math.max(1, (System.nanoTime() - intendedNanos) / 1000);
            latency.recordValue(micros);
            if (intendedNanos < firstQuarterEnd) {
                firstQuarter.recordValue(micros);
            } else if (intendedNanos >= lastQuarterStart) {
                lastQuarter.recordValue(micros);
            }
            String status = head.toString(StandardCharsets.US_ASCII);
            if (status.startsWith("HTTP/1.") && status.startsWith(" 200", 8)) { // 1.0 too (Python's http.server)
                ok.incrementAndGet();
            } else {
                non200.incrementAndGet();
            }
        } catch (IOException e) {
            errors.incrementAndGet();
        }
    }

    private static long parseDuration(String s) {
        if (s.endsWith("ms")) {
            return TimeUnit.MILLISECONDS.toNanos(Long.parseLong(s.substring(0, s.length() - 2)));
        }
        if (s.endsWith("s")) {
            return TimeUnit.SECONDS.toNanos(Long.parseLong(s.substring(0, s.length() - 1)));
        }
        if (s.endsWith("m")) {
            return TimeUnit.MINUTES.toNanos(Long.parseLong(s.substring(0, s.length() - 1)));
        }
        throw new IllegalArgumentException("duration needs ms, s or m: " + s);
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }

    private static String fmt(double rate) {
        return rate == Math.rint(rate) ? Long.toString((long) rate) + "/s" : rate + "/s";
    }
}
