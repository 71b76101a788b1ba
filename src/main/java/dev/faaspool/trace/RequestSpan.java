package dev.faaspool.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import java.util.concurrent.TimeUnit;

/**
 * The span of one client connection: its accept is its start; it records the request's course as
 * events (queued, handed off, ACK, RUN) and ends with its outcome. Times are the dispatch loop's ticker
 * readings. Used on the connection's event loop; its end may come from another thread once.
 */
public final class RequestSpan {
    static final AttributeKey<String> SLOT = AttributeKey.stringKey("faaspool.slot");
    static final AttributeKey<Boolean> COLD = AttributeKey.booleanKey("faas.coldstart");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("faaspool.attempt");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("faaspool.outcome");
    static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

    private final Span span;
    private final RequestTracing tracing;
    private final String traceparent;

    RequestSpan(Span span, RequestTracing tracing) {
        this.span = span;
        this.tracing = tracing;
        SpanContext c = span.getSpanContext();
        this.traceparent = "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex();
    }

    /** This span as the handler's parent: the {@code traceparent} handed to it with the descriptor. */
    public String traceparent() {
        return traceparent;
    }

    /** The request waits for a slot with room, from {@code nanos}. */
    public void queued(long nanos) {
        span.addEvent("queued", tracing.epoch(nanos), TimeUnit.NANOSECONDS);
    }

    /** Its descriptor went to {@code slot} (a warm slot, or one it waited for), attempt {@code attempt}. */
    public void handedOff(long nanos, String slot, boolean cold, int attempt) {
        span.addEvent("handed off", Attributes.of(SLOT, slot, COLD, cold, ATTEMPT, (long) attempt),
                tracing.epoch(nanos), TimeUnit.NANOSECONDS);
        span.setAttribute(SLOT, slot);
        span.setAttribute(COLD, cold);
    }

    /** The init owns the descriptor. */
    public void acked(long nanos) {
        span.addEvent("ack", tracing.epoch(nanos), TimeUnit.NANOSECONDS);
    }

    /** The handler runs. */
    public void running(long nanos) {
        span.addEvent("run", tracing.epoch(nanos), TimeUnit.NANOSECONDS);
    }

    /**
     * The request ended at {@code nanos}: {@code outcome} is the request log's word for how, and
     * {@code status} the HTTP status faas-pool answered, or 0 when it wrote nothing (the handler's
     * answer, or a client gone). An answer of faas-pool's own at or above 500 marks the span an error.
     */
    public void end(long nanos, String outcome, int status, String why) {
        span.setAttribute(OUTCOME, outcome);
        if (status > 0) {
            span.setAttribute(STATUS, (long) status);
        }
        if (status >= 500) {
            span.setStatus(StatusCode.ERROR, why == null ? outcome : why);
        }
        span.end(tracing.epoch(nanos), TimeUnit.NANOSECONDS);
    }

    /** Ends it now; see {@link #end(long, String, int, String)}. */
    public void end(String outcome, int status, String why) {
        end(tracing.now(), outcome, status, why);
    }
}
