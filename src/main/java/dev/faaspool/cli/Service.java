package dev.faaspool.cli;

import dev.faaspool.admin.AdminServer;
import dev.faaspool.admin.AgentCheck;
import dev.faaspool.admin.AgentReply;
import dev.faaspool.admin.PrometheusMetrics;
import dev.faaspool.config.Defaults;
import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.PoolConfig;
import dev.faaspool.dispatch.EventLoop;
import dev.faaspool.dispatch.FunctionDispatch;
import dev.faaspool.dispatch.HttpRouter;
import dev.faaspool.dispatch.Routes;
import dev.faaspool.dispatch.SocketDescriptors;
import dev.faaspool.log.LogSetup;
import dev.faaspool.log.RequestLog;
import dev.faaspool.functionlogs.FunctionLogs;
import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.LatencyLog;
import dev.faaspool.metrics.Occupancy;
import dev.faaspool.metrics.RequestCounters;
import dev.faaspool.metrics.RouterCounters;
import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.pool.FunctionPool;
import dev.faaspool.pool.Pool;
import dev.faaspool.pool.PoolServices;
import dev.faaspool.pool.PoolSnapshot;
import dev.faaspool.pool.RunDirectory;
import dev.faaspool.runtime.ContainerRuntime;
import dev.faaspool.runtime.DockerRuntime;
import dev.faaspool.runtime.ImageCatalog;
import dev.faaspool.trace.RequestTracing;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * One running faas-pool: the pool, a listener and dispatcher per function, the latency log and the
 * admin endpoint, started in the order that fails cheapest first, and closed in reverse.
 */
final class Service implements AutoCloseable {
    private static final Duration OCCUPANCY_SAMPLE = Duration.ofMillis(100);
    /** How old an image's cached ID may be before a read refreshes it: how soon a rebuilt image rolls. */
    private static final Duration IMAGE_REFRESH = Duration.ofSeconds(2);

    private final Settings settings;
    private final PrintStream out;
    private final Map<String, FunctionLatency> latencies = new ConcurrentHashMap<>();
    private final Map<String, RequestCounters> counters = new ConcurrentHashMap<>();
    private final TaskGuard guard = new TaskGuard();
    /** Each function's dispatcher; changed only by {@link #start} and {@link #apply}, under this object's lock. */
    private final Map<String, FunctionDispatch> listeners = new LinkedHashMap<>();
    /** The dispatch event loops, about one per core; each function is served by one of them. */
    private final List<EventLoop> loops = new ArrayList<>();
    private int nextLoop;
    private ContainerRuntime runtime;
    /** Written under this object's lock; read by the admin endpoint's threads too. */
    private volatile PoolConfig config;
    private final List<AutoCloseable> opened = new ArrayList<>();
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "occupancy-sampler");
        t.setDaemon(true);
        return t;
    });
    private Pool pool;
    /** The HTTP front listener, when the configuration has one; replaced only under this object's lock. */
    private HttpRouter router;
    private final RouterCounters routerCounters = new RouterCounters();
    private ImageCatalog images;
    private FunctionLogs functionLogs;
    private LatencyLog latencyLog;
    /** The request log; null when it is off. */
    private RequestLog requestLog;
    /** Request tracing; null when it is off. */
    private RequestTracing tracing;
    private StatusLine statusLine;
    private volatile WarmProgress warmProgress; // closed by close() too: a signal during warm-up ends it at once
    private long startedNanos;
    private boolean closed;
    /** The pools that have had their minimum warm once (see {@link #ready}); a replaced pool starts anew. */
    private final java.util.Set<FunctionPool> warmedOnce = ConcurrentHashMap.newKeySet();
    /** SERVING until {@link #drain} begins shutdown; read by the admin and agent threads. */
    private volatile AgentReply.Phase phase = AgentReply.Phase.SERVING;

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
        functionLogs = new FunctionLogs(settings.logs(), settings.logHandlers() ? LogSetup.handlerLines(settings.logging().format()) : null, Clock.systemUTC());
        opened.add(functionLogs); // closed after the runtime, whose removals finish the containers' output
        DockerRuntime docker = DockerRuntime.connect(settings.dockerHost());
        runtime = docker;
        opened.add(runtime);
        docker.captureOutput(functionLogs);
        ExecutorService inspector = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "image-catalog"); // the cache's refreshes: never the owner or a loop
            t.setDaemon(true);
            return t;
        });
        opened.add(inspector::shutdownNow);
        images = new ImageCatalog(runtime, IMAGE_REFRESH, com.github.benmanes.caffeine.cache.Ticker.systemTicker(),
                inspector);
        config = settings.config();
        checkImages(config);
        for (FunctionSpec f : config.functions()) {
            latencies.put(f.name(), new FunctionLatency(f.name()));
            counters.put(f.name(), new RequestCounters());
        }
        RunDirectory runDir = RunDirectory.open(settings.runRoot(), settings.instance());
        opened.add(runDir);
        requestLog = RequestLog.open(settings.logging()); // closed after the loops: every request's line is in
        if (requestLog != null) {
            opened.add(requestLog);
        }
        if (settings.otlpEndpoint() != null) { // closed after the loops too: every request's span is queued
            tracing = RequestTracing.otlp(settings.otlpEndpoint(), settings.traceSample(), System::nanoTime);
            opened.add(tracing);
        }

        pool = new Pool(settings.config(), runtime, runDir, settings.instance(), latencies, settings.startConcurrency(),
                PoolServices.system(guard).withImages(images::cachedId));
        int n = Math.max(1, Runtime.getRuntime().availableProcessors());
        for (int i = 0; i < n; i++) {
            loops.add(new EventLoop("dispatch-" + (i + 1), System::nanoTime, guard));
        }
        for (FunctionSpec f : config.functions()) {
            listeners.put(f.name(), bind(f, pool.function(f.name())));
        }
        if (config.http() != null) {
            router = bindRouter(config.http());
        }
        latencyLog = LatencyLog.open(settings.reports(), settings.instance(), List.copyOf(latencies.values()),
                settings.reportInterval(), Clock.systemUTC());
        opened.add(AdminServer.start(settings.admin(), settings.adminAccess(), this::status, this::readiness,
                metrics()));
        if (settings.agent() != null) {
            opened.add(AgentCheck.start(settings.agent(), this::agentReply));
        }
        pool.start();
        listeners.values().forEach(FunctionDispatch::start);
        if (router != null) {
            router.start();
        }
        sampler.scheduleAtFixedRate(guard.guard("sample-occupancy", this::sampleOccupancy), 0,
                OCCUPANCY_SAMPLE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void checkImages(PoolConfig c) {
        for (FunctionSpec f : c.functions()) {
            if (images.load(f.image()).isEmpty()) {
                throw new IllegalStateException("function '" + f.name() + "': image " + f.image()
                        + " does not exist locally (nothing is pulled); build it first, see runtime-init/build-images.sh");
            }
            if (!runtime.networkExists(f.network())) {
                throw new IllegalStateException("function '" + f.name() + "': network " + f.network()
                        + " does not exist (nothing is created); create it first: docker network create " + f.network());
            }
        }
    }

    private PrometheusMetrics metrics() {
        PrometheusMetrics m = new PrometheusMetrics(pool::serving, counters, latencyLog, pool::engineState, guard);
        m.router(routerCounters);
        if (requestLog != null) {
            m.requestLog(requestLog::dropped);
        }
        functionLogs.register(m.registry());
        return m;
    }

    /** The front listener on {@code address}, on the next event loop, routing to the dispatchers there are now. */
    private HttpRouter bindRouter(java.net.InetSocketAddress address) throws IOException {
        HttpRouter r = HttpRouter.bind(address, loops.get(nextLoop++ % loops.size()), Defaults.FIRST_BYTE,
                routerCounters, requestLog);
        r.routes(routes(config));
        return r;
    }

    /** Which dispatcher each function's name and hosts lead to, for the front listener. Under this object's lock. */
    private Routes<FunctionDispatch> routes(PoolConfig c) {
        Map<String, FunctionDispatch> byHost = new LinkedHashMap<>();
        for (FunctionSpec f : c.functions()) {
            FunctionDispatch d = listeners.get(f.name());
            if (d != null) {
                f.hosts().forEach(h -> byHost.put(h, d));
            }
        }
        return new Routes<>(listeners, byHost);
    }

    /** Binds {@code f}'s address on the next event loop (functions are spread over the loops in turn). */
    private FunctionDispatch bind(FunctionSpec f, FunctionPool fp) throws IOException {
        EventLoop loop = loops.get(nextLoop++ % loops.size());
        return FunctionDispatch.bind(f.listen(), fp, loop, latencies.get(f.name()), counters.get(f.name()), requestLog,
                tracing);
    }

    /**
     * Applies an edited configuration while serving, without dropping a request: new functions start
     * warming and listening, changed ones are resized or get new containers, removed ones stop
     * listening and drain. The change is all or nothing: a missing image or a listen address that
     * cannot be bound rejects it, and the running configuration stays.
     *
     * @throws IllegalStateException naming what is wrong; nothing was changed
     */
    synchronized void apply(PoolConfig next) throws IOException {
        if (closed) {
            return;
        }
        String unroutable = next.routingProblem();
        if (unroutable != null) {
            throw new IllegalStateException(unroutable);
        }
        checkImages(next);
        Map<String, FunctionSpec> before = new LinkedHashMap<>();
        config.functions().forEach(f -> before.put(f.name(), f));
        // Bind what needs a new listening socket first: a port that cannot be had rejects the whole change.
        Map<String, ServerSocketChannel> moved = new LinkedHashMap<>();
        Map<String, FunctionLatency> newLatencies = new LinkedHashMap<>();
        HttpRouter nextRouter = null;
        try {
            for (FunctionSpec f : next.functions()) {
                FunctionSpec old = before.get(f.name());
                if (old == null) {
                    newLatencies.put(f.name(), latencies.computeIfAbsent(f.name(), FunctionLatency::new));
                    counters.computeIfAbsent(f.name(), fn -> new RequestCounters());
                } else if (!java.util.Objects.equals(old.listen(), f.listen())) {
                    // null: the function keeps only the front listener
                    moved.put(f.name(), f.listen() == null ? null : FunctionDispatch.listen(f.name(), f.listen()));
                }
            }
            if (next.http() != null && !next.http().equals(config.http())) {
                nextRouter = HttpRouter.bind(next.http(), loops.get(nextLoop++ % loops.size()), Defaults.FIRST_BYTE,
                        routerCounters, requestLog);
            }
        } catch (IOException | RuntimeException e) {
            moved.values().forEach(Service::closeQuietly);
            closeQuietly(nextRouter);
            throw e;
        }
        Map<String, FunctionPool> added = pool.apply(next, newLatencies);
        moved.forEach((name, server) -> listeners.get(name).listenOn(server));
        for (Map.Entry<String, FunctionPool> e : added.entrySet()) {
            latencyLog.add(latencies.get(e.getKey()));
            FunctionSpec f = e.getValue().spec();
            try {
                FunctionDispatch d = bind(f, e.getValue());
                listeners.put(f.name(), d);
                d.start();
            } catch (IOException ex) {
                // The pool has the function already; it serves once its address is free and the file is saved again.
                System.err.println("faas-pool: " + ex.getMessage());
            }
        }
        for (String name : before.keySet()) {
            if (next.functions().stream().noneMatch(f -> f.name().equals(name))) {
                FunctionDispatch removed = listeners.remove(name);
                if (removed != null) {
                    removed.stopAccepting(); // it drains: what waits is served by the remaining containers
                }
            }
        }
        config = next;
        if (nextRouter != null || next.http() == null) {
            // Moved or removed: the old one stops accepting; the heads it waits for are still routed.
            if (router != null) {
                router.stopAccepting();
            }
            router = nextRouter;
            if (router != null) {
                router.routes(routes(next));
                router.start();
            }
        } else {
            router.routes(routes(next));
        }
    }

    /** Closes {@code watcher} with the service. */
    synchronized void watch(AutoCloseable watcher) {
        opened.add(watcher);
    }

    /** Records how many containers each function has in each state, for the latency log's occupancy. */
    private void sampleOccupancy() {
        for (FunctionPool fp : pool.serving()) {
            PoolSnapshot p = fp.snapshot();
            FunctionLatency l = latencies.get(p.name());
            l.sample(Occupancy.STARTING, p.starting());
            l.sample(Occupancy.WARM, p.warm());
            l.sample(Occupancy.BUSY, p.busy());
        }
    }

    /** Waits up to {@code timeout} for the pools to fill, prints one line per function, and returns them in one. */
    String reportWarm(Duration timeout) throws InterruptedException {
        boolean all;
        warmProgress = new WarmProgress(pool::serving, out,
                StatusLine.onTerminal() && settings.logging().redrawsStatusLine(), guard);
        try {
            all = pool.awaitWarm(timeout);
        } finally {
            warmProgress.close();
        }
        double secs = (System.nanoTime() - startedNanos) / 1e9;
        List<String> summary = new ArrayList<>();
        for (FunctionPool fp : pool.functions()) {
            FunctionSpec f = fp.spec();
            out.printf(Locale.ROOT, "%s: %d/%d warm %s %.1f s, serving %s%n", f.name(), fp.snapshot().warm(),
                    f.pool().min(), all ? "in" : "after", secs, where(f));
            summary.add(f.name() + ": " + fp.snapshot().warm() + "/" + f.pool().min() + " warm");
        }
        if (config.http() != null) {
            out.printf("http: http://%s/function/<name> for every function%s%n", Defaults.format(config.http()),
                    config.functions().stream().anyMatch(f -> !f.hosts().isEmpty()) ? ", and by Host" : "");
        }
        out.printf("admin: http://%s/status  latency log: %s%n", Defaults.format(settings.admin()),
                latencyLog.logFile());
        out.flush();
        statusLine = new StatusLine(pool::serving, counters, latencyLog, out,
                StatusLine.onTerminal() && settings.logging().redrawsStatusLine(),
                Duration.ofSeconds(30));
        return "serving; " + String.join(", ", summary);
    }

    /** Where a client reaches {@code f}: its own listener, else its path at the front listener. */
    private String where(FunctionSpec f) {
        if (f.listen() != null) {
            return "http://" + Defaults.format(f.listen()) + "/";
        }
        return "http://" + Defaults.format(config.http()) + "/function/" + f.name() + "/";
    }

    /** What {@code /readyz} says: ready, warming, or draining once shutdown has begun. */
    private String readiness() {
        return phase == AgentReply.Phase.DRAINING ? "draining" : ready() ? "ready" : "warming";
    }

    /** The line for HAProxy's agent-check, from one snapshot of each pool. */
    private String agentReply() {
        List<PoolSnapshot> snapshots = new ArrayList<>();
        for (FunctionPool fp : pool.serving()) {
            snapshots.add(fp.snapshot());
        }
        String engine = pool.engineState(); // the circuit breaker's state: open refuses every start
        return AgentReply.decide(phase, !engine.equals("open") && !engine.equals("forced_open"), snapshots);
    }

    /**
     * The first step of shutdown: reports draining (agent-check {@code drain}, {@code /readyz} 503) and keeps
     * serving for {@code delay}, so a load balancer stops sending before the listeners close. Returns after
     * the delay; {@link #close} follows.
     */
    void drain(Duration delay) throws InterruptedException {
        phase = AgentReply.Phase.DRAINING;
        if (!delay.isZero()) {
            LoggerFactory.getLogger(Service.class).info("draining: the agent-check says drain and /readyz 503; "
                    + "serving what arrives for {} ms more, then stopping", delay.toMillis());
            Thread.sleep(delay.toMillis());
        }
    }

    /**
     * Whether every function served has been warm: each has had its minimum ready at least once. Latched
     * per function, because under load its containers are busy and recycled all the time, and a
     * health check that followed them would take a loaded node out of its balancer, and the load onto its
     * peers, which then flap too. A function added by a reload is not ready until it has been warm.
     */
    private boolean ready() {
        if (phase == AgentReply.Phase.DRAINING) {
            return false;
        }
        boolean all = true;
        List<FunctionPool> serving = pool.serving();
        warmedOnce.retainAll(serving); // forget the pools a reload removed
        for (FunctionPool fp : serving) {
            if (!warmedOnce.contains(fp) && Pool.warmEnough(fp)) {
                warmedOnce.add(fp);
            }
            all &= warmedOnce.contains(fp);
        }
        return all;
    }

    private Map<String, Object> status() {
        List<Map<String, Object>> fns = new ArrayList<>();
        for (FunctionPool fp : pool.serving()) {
            PoolSnapshot p = fp.snapshot();
            FunctionSpec spec = p.spec();
            RequestCounters c = counters.get(p.name());
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("name", p.name());
            f.put("listen", spec.listen() == null ? null : Defaults.format(spec.listen()));
            f.put("hosts", spec.hosts());
            f.put("mode", spec.mode().configName());
            f.put("image", spec.image());
            f.put("imageId", fp.imageId());
            f.put("min", spec.pool().min());
            f.put("target", p.target());
            f.put("targetReason", p.targetReason());
            f.put("max", spec.pool().max());
            f.put("starting", p.starting());
            f.put("warm", p.warm());
            f.put("busy", p.busy());
            f.put("waiting", p.waiting());
            f.put("concurrency", spec.concurrency());
            f.put("running", p.running());
            Map<String, Object> requests = new LinkedHashMap<>();
            requests.put("warm", c.warm.sum());
            requests.put("cold", c.cold.sum());
            requests.put("rejected", c.rejected.sum());
            requests.put("overflow", c.overflow.sum());
            requests.put("failed", c.failed.sum());
            requests.put("handlerFailed", c.handlerFailed.sum());
            requests.put("timedOut", c.timedOut.sum());
            requests.put("firstByteTimeouts", c.firstByteTimeouts.sum());
            requests.put("clientGone", c.gone.sum());
            requests.put("redispatched", c.redispatched.sum());
            f.put("requests", requests);
            fns.add(f);
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("instance", settings.instance());
        s.put("ready", ready());
        s.put("docker", pool.engineState());
        if (config.http() != null) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("listen", Defaults.format(config.http()));
            h.put("routed", routerCounters.routed.sum());
            h.put("notFound", routerCounters.notFound.sum());
            h.put("badRequest", routerCounters.badRequest.sum());
            h.put("headTimeouts", routerCounters.headTimeout.sum());
            h.put("overflow", routerCounters.overflow.sum());
            h.put("clientGone", routerCounters.gone.sum());
            s.put("http", h);
        }
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
        closeQuietly(warmProgress);
        // Stop accepting; requests still waiting for a container get 503, hand-offs under way finish.
        closeQuietly(router);
        listeners.values().forEach(Service::closeQuietly);
        if (pool != null) {
            pool.close(settings.drain()); // running requests finish; their connections end on the loops
        }
        loops.forEach(Service::closeQuietly);
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
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("faas-pool: while shutting down: " + e);
        }
    }
}
