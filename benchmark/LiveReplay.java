/*
 * Replays an on/off trace in real time against a running faas-pool: Poisson arrivals at --rate during each
 * --on period, none during each --off period, --cycles times. One TCP connection per request, sent at its
 * intended time (open loop), latency from that time in HdrHistogram. Meanwhile it samples the function's
 * containers on the admin endpoint's /status every 100 ms, for the memory cost (container-seconds).
 *
 *   java -cp target/faas-pool.jar benchmark/LiveReplay.java --target 127.0.0.1:8085 --admin 127.0.0.1:8090 \
 *       --function hello-fork --rate 10 --on 15s --off 30s --cycles 8 [--seed 1] [--timeline samples.csv]
 *
 * Prints one line of key=value pairs: requests, non200, errors, the function's own cold and warm counts
 * (faas-pool's /status: cold = the request waited for a container to start), latency percentiles, and
 * container_s (starting + warm + busy containers, integrated over the replay) with mean_containers.
 * With --timeline, every /status sample also goes to a CSV file (seconds since the start, the function's
 * containers, its target and the rule behind it, its cold count so far): how the pool followed the trace.
 */
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

public final class LiveReplay {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final InetSocketAddress target;
    private final URI status;
    private final String function;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Recorder latency = new Recorder(3);
    private final AtomicLong ok = new AtomicLong(), non200 = new AtomicLong(), errors = new AtomicLong();
    private volatile boolean sampling = true;
    private double containerSeconds;
    private int peak;
    private final PrintWriter timeline;

    LiveReplay(InetSocketAddress target, String admin, String function, PrintWriter timeline) {
        this.target = target;
        this.status = URI.create("http://" + admin + "/status");
        this.function = function;
        this.timeline = timeline;
    }

    public static void main(String[] args) throws Exception {
        String target = null, admin = null, function = null, timeline = null;
        double rate = 10;
        long on = TimeUnit.SECONDS.toNanos(15), off = TimeUnit.SECONDS.toNanos(30), seed = 1;
        int cycles = 8;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--target" -> target = args[++i];
                case "--admin" -> admin = args[++i];
                case "--function" -> function = args[++i];
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--on" -> on = seconds(args[++i]);
                case "--off" -> off = seconds(args[++i]);
                case "--cycles" -> cycles = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--timeline" -> timeline = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (target == null || admin == null || function == null) {
            System.err.println("usage: LiveReplay --target HOST:PORT --admin HOST:PORT --function NAME [--rate 10]"
                    + " [--on 15s] [--off 30s] [--cycles 8] [--seed 1] [--timeline FILE]");
            System.exit(2);
        }
        int colon = target.lastIndexOf(':');
        LiveReplay r = new LiveReplay(new InetSocketAddress(target.substring(0, colon),
                Integer.parseInt(target.substring(colon + 1))), admin, function,
                timeline == null ? null : new PrintWriter(Files.newBufferedWriter(Path.of(timeline))));
        JsonNode before = r.function();
        Thread sampler = new Thread(r::sample, "sampler");
        long t0 = System.nanoTime();
        sampler.start();
        long requests = r.replay(t0, rate, on, off, cycles, new SplittableRandom(seed));
        double seconds = (System.nanoTime() - t0) / 1e9;
        r.sampling = false;
        sampler.join();
        if (r.timeline != null) {
            r.timeline.close();
        }
        JsonNode after = r.function();
        var h = r.latency.getIntervalHistogram();
        System.out.printf(Locale.ROOT, "requests=%d ok=%d non200=%d errors=%d cold=%d warm=%d p50_ms=%.2f p90_ms=%.2f"
                        + " p99_ms=%.2f p999_ms=%.2f max_ms=%.2f seconds=%.1f container_s=%.1f mean_containers=%.3f"
                        + " peak_containers=%d%n",
                requests, r.ok.get(), r.non200.get(), r.errors.get(),
                count(after, "cold") - count(before, "cold"), count(after, "warm") - count(before, "warm"),
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0,
                seconds, r.containerSeconds, r.containerSeconds / seconds, r.peak);
        System.exit(r.errors.get() == 0 ? 0 : 1);
    }

    /** Sends the trace's requests, each at its intended time; returns how many. */
    private long replay(long t0, double rate, long on, long off, int cycles, SplittableRandom random)
            throws InterruptedException {
        ExecutorService senders = Executors.newCachedThreadPool();
        long n = 0;
        for (int c = 0; c < cycles; c++) {
            long start = t0 + c * (on + off), t = start;
            while (true) {
                t += (long) (-Math.log(1 - random.nextDouble()) / rate * 1e9);
                if (t >= start + on) {
                    break;
                }
                long due = t, wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                senders.execute(() -> once(due));
                n++;
            }
        }
        long end = t0 + cycles * (on + off), wait = end - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait); // the last pause counts: containers kept through it cost memory
        }
        senders.shutdown();
        senders.awaitTermination(5, TimeUnit.MINUTES);
        return n;
    }

    private void once(long intendedNanos) {
        try (Socket s = new Socket()) {
            s.connect(target, 10_000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + target.getHostString()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            int r;
            while ((r = in.read(buf)) > 0) {
                if (head.size() < 16) {
                    head.write(buf, 0, r);
                }
            }
            latency.recordValue(Math.max(1, (System.nanoTime() - intendedNanos) / 1000));
            String line = head.toString(StandardCharsets.US_ASCII);
            (line.startsWith("HTTP/1.") && line.startsWith(" 200", 8) ? ok : non200).incrementAndGet();
        } catch (IOException e) {
            errors.incrementAndGet();
        }
    }

    /** Integrates the function's containers (starting, warm, busy) over time, from /status every 100 ms. */
    private void sample() {
        long t0 = System.nanoTime(), last = t0;
        int containers = 0;
        if (timeline != null) {
            timeline.println("seconds,starting,warm,busy,waiting,target,reason,cold");
        }
        while (sampling) {
            try {
                JsonNode f = function();
                long now = System.nanoTime();
                containerSeconds += containers * (now - last) / 1e9;
                last = now;
                containers = f.get("starting").asInt() + f.get("warm").asInt() + f.get("busy").asInt();
                peak = Math.max(peak, containers);
                if (timeline != null) {
                    timeline.printf(Locale.ROOT, "%.1f,%d,%d,%d,%d,%d,\"%s\",%d%n", (now - t0) / 1e9,
                            f.get("starting").asInt(), f.get("warm").asInt(), f.get("busy").asInt(),
                            f.get("waiting").asInt(), f.get("target").asInt(), f.get("targetReason").asText(),
                            count(f, "cold"));
                }
                Thread.sleep(100);
            } catch (IOException e) {
                throw new IllegalStateException("/status: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                return;
            }
        }
        containerSeconds += containers * (System.nanoTime() - last) / 1e9;
    }

    private JsonNode function() throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(status).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        for (JsonNode f : JSON.readTree(r.body()).get("functions")) {
            if (f.get("name").asText().equals(function)) {
                return f;
            }
        }
        throw new IOException("no function " + function + " in /status");
    }

    private static long count(JsonNode f, String kind) {
        return f.get("requests").get(kind).asLong();
    }

    private static long seconds(String s) {
        if (!s.endsWith("s")) {
            throw new IllegalArgumentException("a duration in seconds, like 30s: " + s);
        }
        return TimeUnit.SECONDS.toNanos(Long.parseLong(s.substring(0, s.length() - 1)));
    }
}
