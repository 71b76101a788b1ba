package dev.faaspool.cli;

import dev.faaspool.admin.AdminServer;
import dev.faaspool.admin.PrometheusMetrics;
import dev.faaspool.config.Defaults;
import dev.faaspool.config.FunctionSpec;
import dev.faaspool.dispatch.Dispatcher;
import dev.faaspool.dispatch.Listener;
import dev.faaspool.dispatch.SocketDescriptors;
import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.LatencyLog;
import dev.faaspool.metrics.Occupancy;
import dev.faaspool.metrics.RequestCounters;
import dev.faaspool.pool.FunctionPool;
import dev.faaspool.pool.Pool;
import dev.faaspool.pool.RunDirectory;
import dev.faaspool.pool.SlotState;
import dev.faaspool.runtime.ContainerRuntime;
import dev.faaspool.runtime.DockerRuntime;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One running faas-pool: the pool, a listener and dispatcher per function, the latency log and the
 * admin endpoint, started in the order that fails cheapest first, and closed in reverse.
 */
final class Service implements AutoCloseable {
    private static final int MAX_DISPATCH_THREADS = 512;
    private static final Duration OCCUPANCY_SAMPLE = Duration.ofMillis(100);

    private final Settings settings;
    private final PrintStream out;
    private final Map<String, FunctionLatency> latencies = new LinkedHashMap<>();
    private final Map<String, RequestCounters> counters = new LinkedHashMap<>();
    private final List<Listener> listeners = new ArrayList<>();
    private final List<AutoCloseable> opened = new ArrayList<>();
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "occupancy-sampler");
        t.setDaemon(true);
        return t;
    });
    private ThreadPoolExecutor workers;
    private Pool pool;
    private LatencyLog latencyLog;
    private StatusLine statusLine;
    private long startedNanos;
    private boolean closed;

    Service(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
    }

    /** Starts everything; on failure, closes what was started and rethrows. */
    void start() throws Exception {
        try {
            startUnsafe();
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    private void startUnsafe() throws Exception {
        startedNanos = System.nanoTime();
        SocketDescriptors.check();
        ContainerRuntime runtime = DockerRuntime.connect(settings.dockerHost());
        opened.add(runtime);
        for (FunctionSpec f : settings.config().functions()) {
            if (!runtime.imageExists(f.image())) {
                throw new IllegalStateException("function '" + f.name() + "': image " + f.image()
                        + " does not exist locally (nothing is pulled); build it first, see runtime-init/build-images.sh");
            }
            latencies.put(f.name(), new FunctionLatency(f.name()));
            counters.put(f.name(), new RequestCounters());
        }
        RunDirectory runDir = RunDirectory.open(settings.runRoot(), settings.instance());
        opened.add(runDir);

        pool = new Pool(settings.config(), runtime, runDir, settings.instance(), latencies, settings.startConcurrency());
        AtomicLong n = new AtomicLong();
        workers = new ThreadPoolExecutor(0, MAX_DISPATCH_THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "dispatch-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        for (FunctionSpec f : settings.config().functions()) {
            Dispatcher d = new Dispatcher(pool.function(f.name()), latencies.get(f.name()), counters.get(f.name()));
            listeners.add(Listener.bind(f.listen(), d, workers, counters.get(f.name())));
        }
        latencyLog = LatencyLog.open(settings.reports(), settings.instance(), List.copyOf(latencies.values()),
                settings.reportInterval(), Clock.systemUTC());
        opened.add(AdminServer.start(settings.admin(), this::status, this::ready,
                new PrometheusMetrics(pool.functions(), counters, latencyLog, pool::engineState)));
        pool.start();
        listeners.forEach(Listener::start);
        sampler.scheduleAtFixedRate(this::sampleOccupancy, 0, OCCUPANCY_SAMPLE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Records how many containers each function has in each state, for the latency log's occupancy. */
    private void sampleOccupancy() {
        for (FunctionPool fp : pool.functions()) {
            FunctionLatency l = latencies.get(fp.spec().name());
            l.sample(Occupancy.STARTING, fp.count(SlotState.STARTING));
            l.sample(Occupancy.WARM, fp.count(SlotState.WARM));
            l.sample(Occupancy.BUSY, fp.count(SlotState.BUSY));
        }
    }

    /** Waits up to {@code timeout} for the pools to fill and prints one line per function. */
    void reportWarm(Duration timeout) throws InterruptedException {
        boolean all = pool.awaitWarm(timeout);
        double secs = (System.nanoTime() - startedNanos) / 1e9;
        for (FunctionPool fp : pool.functions()) {
            out.printf(Locale.ROOT, "%s: %d/%d warm %s %.1f s, serving http://%s/%n", fp.spec().name(),
                    fp.count(SlotState.WARM), fp.spec().pool().min(), all ? "in" : "after", secs,
                    Defaults.format(fp.spec().listen()));
        }
        out.printf("admin: http://%s/status  latency log: %s%n", Defaults.format(settings.admin()),
                latencyLog.logFile());
        out.flush();
        statusLine = new StatusLine(pool.functions(), counters, latencyLog, out, StatusLine.onTerminal(),
                Duration.ofSeconds(30));
    }

    private boolean ready() {
        for (FunctionPool fp : pool.functions()) {
            if (fp.count(SlotState.WARM) < fp.spec().pool().min()) {
                return false;
            }
        }
        return true;
    }

    private Map<String, Object> status() {
        List<Map<String, Object>> fns = new ArrayList<>();
        for (FunctionPool fp : pool.functions()) {
            RequestCounters c = counters.get(fp.spec().name());
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("name", fp.spec().name());
            f.put("listen", Defaults.format(fp.spec().listen()));
            f.put("mode", fp.spec().mode().configName());
            f.put("min", fp.spec().pool().min());
            f.put("target", fp.target());
            f.put("targetReason", fp.targetReason());
            f.put("max", fp.spec().pool().max());
            f.put("starting", fp.count(SlotState.STARTING));
            f.put("warm", fp.count(SlotState.WARM));
            f.put("busy", fp.count(SlotState.BUSY));
            f.put("waiting", fp.waiting());
            f.put("requests", Map.of(
                    "warm", c.warm.sum(),
                    "cold", c.cold.sum(),
                    "rejected", c.rejected.sum(),
                    "failed", c.failed.sum(),
                    "redispatched", c.redispatched.sum()));
            fns.add(f);
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("instance", settings.instance());
        s.put("ready", ready());
        s.put("docker", pool.engineState());
        s.put("functions", fns);
        return s;
    }

    /**
     * Stops accepting, lets dispatches and running requests finish (up to the drain timeout), removes
     * every container and socket, and prints the latency summary.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (statusLine != null) {
            statusLine.close();
        }
        for (Listener l : listeners) {
            closeQuietly(l);
        }
        if (workers != null) {
            workers.shutdown();
            try {
                // Dispatches waiting for a slot that will not come are interrupted and answered 503.
                if (!workers.awaitTermination(1, TimeUnit.SECONDS)) {
                    workers.shutdownNow();
                    workers.awaitTermination(settings.drain().toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (pool != null) {
            pool.close(settings.drain());
        }
        sampler.shutdownNow();
        if (latencyLog != null) {
            try {
                out.print(latencyLog.finish());
                out.printf("latency log: %s%nsummary: %s%n", latencyLog.logFile(), latencyLog.summaryFile());
                out.flush();
            } catch (IOException e) {
                System.err.println("faas-pool: could not write the latency summary: " + e.getMessage());
            }
        }
        for (int i = opened.size() - 1; i >= 0; i--) {
            closeQuietly(opened.get(i));
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("faas-pool: while shutting down: " + e);
        }
    }
}
