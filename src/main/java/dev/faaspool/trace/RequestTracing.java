package dev.faaspool.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request tracing with OpenTelemetry: one {@link RequestSpan} per client connection, from its accept to
 * its end, exported over OTLP/HTTP. Whoever holds one holds null instead when tracing is off (no
 * {@code --otlp-endpoint}), so that the request path then costs one null check.
 *
 * <p>Times come from the dispatch loops' monotonic ticker, not from the wall clock at each event: a
 * span is stamped with the ticker's readings moved onto the epoch once, at start, so its events keep
 * their order and spacing whatever the wall clock does meanwhile.
 */
public final class RequestTracing implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RequestTracing.class);
    static final AttributeKey<String> FUNCTION = AttributeKey.stringKey("faas.name");
    static final AttributeKey<String> TRIGGER = AttributeKey.stringKey("faas.trigger");
    static final AttributeKey<String> MODE = AttributeKey.stringKey("faaspool.mode");

    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final LongSupplier ticker;
    private final long epochAtAnchor;
    private final long tickerAtAnchor;

    /**
     * @param provider where the spans go (its processors and exporters); closed with this
     * @param ticker   the monotonic clock the request's times are read on (nanoseconds)
     * @param epochNow the wall clock, nanoseconds since the epoch, read once here
     */
    public RequestTracing(SdkTracerProvider provider, LongSupplier ticker, long epochNow) {
        this.provider = provider;
        this.tracer = provider.get("dev.faaspool");
        this.ticker = ticker;
        this.tickerAtAnchor = ticker.getAsLong();
        this.epochAtAnchor = epochNow;
    }

    /**
     * Tracing that exports to the OTLP/HTTP traces endpoint {@code endpoint} (for example
     * {@code http://collector:4318/v1/traces}), in batches from a thread of the SDK's: the request path
     * only queues a finished span (a full queue drops it; the SDK counts that). Export failures are
     * logged, at most once a minute.
     */
    public static RequestTracing otlp(URI endpoint, LongSupplier ticker) {
        return otlp(endpoint, 1.0, ticker);
    }

    /**
     * As {@link #otlp(URI, LongSupplier)}, recording a share {@code ratio} (0..1) of the traces that start
     * here, by trace id, and every request whose caller sampled its trace (W3C's sampled flag): a caller's
     * decision is kept (OpenTelemetry's {@code parentbased_traceidratio}). A request not recorded still has
     * its trace context, unsampled, handed to its handler.
     */
    public static RequestTracing otlp(URI endpoint, double ratio, LongSupplier ticker) {
        SpanExporter exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(endpoint.toString())
                .setTimeout(Duration.ofSeconds(10))
                .build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.builder().put("service.name", "faas-pool").build()))
                .setSampler(sampler(ratio))
                // 2,048 queued spans (the SDK's default) is a tenth of a second at this pool's rates: a busy
                // second would drop spans while one batch is on the wire.
                .addSpanProcessor(BatchSpanProcessor.builder(new FailureLog(exporter, endpoint))
                        .setMaxQueueSize(16_384).build())
                .build();
        return new RequestTracing(provider, ticker, System.currentTimeMillis() * 1_000_000L);
    }

    /** What {@link #otlp(URI, double, LongSupplier)} records: {@code ratio} of new traces, and whatever a caller sampled. */
    public static Sampler sampler(double ratio) {
        return Sampler.parentBased(Sampler.traceIdRatioBased(ratio));
    }

    /**
     * Begins the span of a connection of {@code function} accepted at {@code acceptedNanos} (on the
     * ticker), a child of {@code parent} when the request carried one. Any thread.
     */
    public RequestSpan begin(String function, String mode, long acceptedNanos, TraceParent parent) {
        SpanBuilder b = tracer.spanBuilder(function)
                .setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(epoch(acceptedNanos), TimeUnit.NANOSECONDS)
                .setAttribute(FUNCTION, function)
                .setAttribute(TRIGGER, "http")
                .setAttribute(MODE, mode);
        if (parent == null) {
            b.setNoParent();
        } else {
            b.setParent(Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(parent.traceId(),
                    parent.parentId(), TraceFlags.fromByte((byte) parent.flags()), TraceState.getDefault()))));
        }
        return new RequestSpan(b.startSpan(), this);
    }

    /** {@code tickerNanos} on the epoch, in nanoseconds. */
    long epoch(long tickerNanos) {
        return epochAtAnchor + (tickerNanos - tickerAtAnchor);
    }

    long now() {
        return ticker.getAsLong();
    }

    /** Exports what is queued (up to 10 s) and stops. */
    @Override
    public void close() {
        provider.shutdown().join(10, TimeUnit.SECONDS);
    }

    /** An exporter that says when its exports fail: the SDK's own word goes to java.util.logging. */
    private static final class FailureLog implements SpanExporter {
        private static final long QUIET_NANOS = 60_000_000_000L;
        private final SpanExporter delegate;
        private final URI endpoint;
        private final AtomicLong failed = new AtomicLong();
        private final AtomicLong lastSaid = new AtomicLong(System.nanoTime() - QUIET_NANOS);

        FailureLog(SpanExporter delegate, URI endpoint) {
            this.delegate = delegate;
            this.endpoint = endpoint;
        }

        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            CompletableResultCode r = delegate.export(spans);
            int n = spans.size();
            r.whenComplete(() -> {
                if (r.isSuccess()) {
                    return;
                }
                long total = failed.addAndGet(n);
                long now = System.nanoTime();
                long last = lastSaid.get();
                if (now - last >= QUIET_NANOS && lastSaid.compareAndSet(last, now)) {
                    log.warn("tracing: spans could not be exported to {} ({} lost so far){}", endpoint, total,
                            r.getFailureThrowable() == null ? "" : ": " + r.getFailureThrowable());
                }
            });
            return r;
        }

        @Override
        public CompletableResultCode flush() {
            return delegate.flush();
        }

        @Override
        public CompletableResultCode shutdown() {
            return delegate.shutdown();
        }
    }
}
