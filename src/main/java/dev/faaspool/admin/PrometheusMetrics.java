package dev.faaspool.admin;

import dev.faaspool.metrics.LatencyKind;
import dev.faaspool.metrics.LatencyLog;
import dev.faaspool.metrics.RequestCounters;
import dev.faaspool.metrics.RouterCounters;
import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.pool.HandlerExit;
import dev.faaspool.pool.FunctionPool;
import dev.faaspool.pool.PoolSnapshot;
import dev.faaspool.pool.PoolCounters;
import dev.faaspool.pool.SlotState;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The pool's state and counts in Prometheus's text format, for {@code /metrics}. Nothing here is on
 * the request path: counts are read from the counters the pool and dispatchers keep anyway, and
 * latencies from the HdrHistogram totals of the {@link LatencyLog} (complete up to its last interval).
 *
 * <p>Names follow Prometheus's conventions: {@code faas_} prefix, base units ({@code _seconds}),
 * {@code _total} counters, a {@code function} label everywhere. Beside them, the Prometheus client's
 * JVM and process metrics ({@code jvm_*}, {@code process_*}).
 */
public final class PrometheusMetrics {
    /** Bucket upper bounds, seconds: from a fast warm hand-off (100 µs) to a slow container start. */
    static final double[] BOUNDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
            0.5, 1, 2.5, 5, 10, 30, 60, Double.POSITIVE_INFINITY};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    /** Where other parts register their own metrics. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /**
     * @param pools    the functions' pools now, for occupancy and container counts
     * @param requests each function's request counters
     * @param latency  the run's latency log
     * @param dockerCircuit the state of the circuit breaker in front of the Docker engine
     * @param guard    the failures of the pool's own tasks
     */
    public PrometheusMetrics(java.util.function.Supplier<Collection<FunctionPool>> pools,
            Map<String, RequestCounters> requests, LatencyLog latency, java.util.function.Supplier<String> dockerCircuit,
            TaskGuard guard) {
        Iterable<FunctionPool> fps = () -> pools.get().iterator();
        GaugeWithCallback.builder().name("faas_docker_circuit_open")
                .help("1 while the Docker engine keeps failing and no container starts are tried")
                .callback(cb -> cb.call("open".equals(dockerCircuit.get()) ? 1 : 0))
                .register(registry);
        GaugeWithCallback.builder().name("faas_pool_slots").help("Containers of a function by state")
                .labelNames("function", "state")
                .callback(cb -> {
                    for (FunctionPool fp : fps) {
                        PoolSnapshot p = fp.snapshot();
                        for (SlotState st : List.of(SlotState.STARTING, SlotState.WARM, SlotState.BUSY)) {
                            cb.call(p.count(st), p.name(), st.name().toLowerCase(java.util.Locale.ROOT));
                        }
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("faas_pool_min_warm").help("Warm containers a function keeps at least")
                .labelNames("function")
                .callback(cb -> fps.forEach(fp -> cb.call(fp.spec().pool().min(), fp.spec().name())))
                .register(registry);
        GaugeWithCallback.builder().name("faas_pool_target_ready")
                .help("Ready containers the scaling policy wants now (demand, schedule, learned pre-warming, min)")
                .labelNames("function")
                .callback(cb -> fps.forEach(fp -> cb.call(fp.snapshot().target(), fp.spec().name())))
                .register(registry);
        GaugeWithCallback.builder().name("faas_pool_waiting_requests").help("Requests waiting for a warm container")
                .labelNames("function")
                .callback(cb -> fps.forEach(fp -> cb.call(fp.snapshot().waiting(), fp.spec().name())))
                .register(registry);
        GaugeWithCallback.builder().name("faas_pool_running_requests")
                .help("Requests the function's containers run now (several per container with concurrency above 1)")
                .labelNames("function")
                .callback(cb -> fps.forEach(fp -> cb.call(fp.snapshot().running(), fp.spec().name())))
                .register(registry);

        CounterWithCallback.builder().name("faas_requests")
                .help("Connections by how they ended: warm, cold (a handler took them); rejected (503: no container in"
                        + " time), overflow (503: admission), failed (502: not started), handler_failed (502),"
                        + " timed_out (504), first_byte_timeout (408), client_gone (closed or reset before dispatch)")
                .labelNames("function", "outcome")
                .callback(cb -> requests.forEach((fn, c) -> {
                    cb.call(c.warm.sum(), fn, "warm");
                    cb.call(c.cold.sum(), fn, "cold");
                    cb.call(c.rejected.sum(), fn, "rejected");
                    cb.call(c.failed.sum(), fn, "failed");
                    cb.call(c.handlerFailed.sum(), fn, "handler_failed");
                    cb.call(c.timedOut.sum(), fn, "timed_out");
                    cb.call(c.overflow.sum(), fn, "overflow");
                    cb.call(c.firstByteTimeouts.sum(), fn, "first_byte_timeout");
                    cb.call(c.gone.sum(), fn, "client_gone");
                })).register(registry);
        CounterWithCallback.builder().name("faas_handler_exits")
                .help("How requests' handlers ended: ok, error (exit status), signal, oom, timeout, lost")
                .labelNames("function", "cause")
                .callback(cb -> {
                    for (FunctionPool fp : fps) {
                        for (HandlerExit.Cause c : HandlerExit.Cause.values()) {
                            cb.call(fp.counters().handlerExits.get(c).sum(), fp.spec().name(), c.label());
                        }
                    }
                }).register(registry);
        CounterWithCallback.builder().name("faas_internal_errors")
                .help("Failures of faas-pool's own tasks (each is logged; the task runs again)")
                .labelNames("task")
                .callback(cb -> guard.counts().forEach((task, n) -> cb.call(n, task)))
                .register(registry);
        CounterWithCallback.builder().name("faas_redispatches").help("Hand-offs a container did not take")
                .labelNames("function")
                .callback(cb -> requests.forEach((fn, c) -> cb.call(c.redispatched.sum(), fn))).register(registry);
        poolCounter(fps, "faas_container_starts", "Containers that became warm", c -> c.started.sum());
        poolCounter(fps, "faas_container_start_failures", "Containers that did not become warm",
                c -> c.startFailures.sum());
        CounterWithCallback.builder().name("faas_container_recycles").help("Containers retired, by reason")
                .labelNames("function", "reason")
                .callback(cb -> {
                    for (FunctionPool fp : fps) {
                        PoolCounters c = fp.counters();
                        String fn = fp.spec().name();
                        cb.call(c.recycledUsed.sum(), fn, "used");
                        cb.call(c.recycledIdle.sum(), fn, "idle");
                        cb.call(c.recycledTimeout.sum(), fn, "timeout");
                        cb.call(c.recycledFailed.sum(), fn, "failed");
                        cb.call(c.recycledImage.sum(), fn, "image");
                    }
                }).register(registry);
        registry.register(new LatencyCollector(latency));
        // The client's own JVM and process metrics (jvm_memory_used_bytes, jvm_gc_collection_seconds,
        // jvm_threads_current, process_cpu_seconds_total, process_open_fds, ...), read at each scrape.
        JvmMetrics.builder().register(registry);
    }

    private void poolCounter(Iterable<FunctionPool> fps, String name, String help, ToLongFunction<PoolCounters> value) {
        CounterWithCallback.builder().name(name).help(help).labelNames("function")
                .callback(cb -> fps.forEach(fp -> cb.call(value.applyAsLong(fp.counters()), fp.spec().name())))
                .register(registry);
    }

    public String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    public void write(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }

    /** The latency histograms, converted from HdrHistogram (microseconds) to Prometheus buckets (seconds). */
    private static final class LatencyCollector implements MultiCollector {
        private final LatencyLog log;

        LatencyCollector(LatencyLog log) {
            this.log = log;
        }

        @Override
        public MetricSnapshots collect() {
            Map<String, Map<LatencyKind, Histogram>> totals = log.totals();
            List<MetricSnapshot> out = new ArrayList<>();
            out.add(family(totals, "faas_dispatch_seconds",
                    "Accept to the connection owned by a container's init, warm or cold",
                    List.of(LatencyKind.WARM, LatencyKind.COLD), k -> Labels.of("kind", k.tag())));
            out.add(family(totals, "faas_queue_wait_seconds", "Accept to a container taken for the request",
                    List.of(LatencyKind.QUEUE), k -> Labels.EMPTY));
            out.add(family(totals, "faas_container_start_seconds", "Container create to the init's hello",
                    List.of(LatencyKind.START), k -> Labels.EMPTY));
            out.add(family(totals, "faas_request_service_seconds", "Accept to the end of the request",
                    List.of(LatencyKind.SERVICE), k -> Labels.EMPTY));
            return new MetricSnapshots(out);
        }

        private static HistogramSnapshot family(Map<String, Map<LatencyKind, Histogram>> totals, String name,
                String help, List<LatencyKind> kinds, Function<LatencyKind, Labels> extra) {
            HistogramSnapshot.Builder b = HistogramSnapshot.builder().name(name).help(help);
            totals.forEach((fn, byKind) -> {
                for (LatencyKind k : kinds) {
                    Histogram h = byKind.get(k);
                    long[] counts = new long[BOUNDS.length];
                    for (HistogramIterationValue v : h.recordedValues()) {
                        double seconds = h.highestEquivalentValue(v.getValueIteratedTo()) / 1e6;
                        int i = 0;
                        while (seconds > BOUNDS[i]) {
                            i++;
                        }
                        counts[i] += v.getCountAtValueIteratedTo();
                    }
                    double sum = h.getTotalCount() == 0 ? 0 : h.getMean() * h.getTotalCount() / 1e6;
                    b.dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                            .classicHistogramBuckets(ClassicHistogramBuckets.of(BOUNDS, counts))
                            .sum(sum)
                            .labels(Labels.of("function", fn).merge(extra.apply(k)))
                            .build());
                }
            });
            return b.build();
        }
    }

    /** Adds the request log's lines dropped because its writer could not keep up ({@code faas_request_log_dropped_total}). */
    public void requestLog(java.util.function.LongSupplier dropped) {
        CounterWithCallback.builder().name("faas_request_log_dropped")
                .help("Request log lines dropped because the writer could not keep up (its queue was full)")
                .callback(cb -> cb.call(dropped.getAsLong())).register(registry);
    }

    /** Adds the HTTP front listener's counts ({@code faas_http_router_requests_total{outcome}}). */
    public void router(RouterCounters c) {
        CounterWithCallback.builder().name("faas_http_router_requests")
                .help("Connections the HTTP front listener accepted, by how it ended: routed (to the function its head"
                        + " names), not_found (404), bad_request (400: not HTTP/1, too large), head_timeout (408),"
                        + " overflow (503), client_gone")
                .labelNames("outcome")
                .callback(cb -> {
                    cb.call(c.routed.sum(), "routed");
                    cb.call(c.notFound.sum(), "not_found");
                    cb.call(c.badRequest.sum(), "bad_request");
                    cb.call(c.headTimeout.sum(), "head_timeout");
                    cb.call(c.overflow.sum(), "overflow");
                    cb.call(c.gone.sum(), "client_gone");
                }).register(registry);
    }
}
