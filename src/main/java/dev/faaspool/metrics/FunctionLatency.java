package dev.faaspool.metrics;

import java.util.EnumMap;
import java.util.Map;
import org.HdrHistogram.Recorder;

/**
 * The latency recorders of one function, one per {@link LatencyKind}. Recording is one wait-free
 * call; a {@link LatencyLog} takes the interval histograms from elsewhere.
 */
public final class FunctionLatency {
    private final String function;
    private final Map<LatencyKind, Recorder> recorders = new EnumMap<>(LatencyKind.class);

    public FunctionLatency(String function) {
        this.function = function;
        for (LatencyKind k : LatencyKind.values()) {
            recorders.put(k, new Recorder(3));
        }
    }

    public String function() {
        return function;
    }

    /** Records {@code nanos} as a value of {@code kind}, in microseconds (at least 1). */
    public void record(LatencyKind kind, long nanos) {
        recorders.get(kind).recordValue(Math.max(1, nanos / 1_000));
    }

    Recorder recorder(LatencyKind kind) {
        return recorders.get(kind);
    }
}
