package dev.faaspool.metrics;

import java.util.EnumMap;
import java.util.Map;
import org.HdrHistogram.Recorder;

/**
 * The recorders of one function: one per {@link LatencyKind} (microseconds) and one per
 * {@link Occupancy} (container counts, sampled). Recording is one wait-free call; a
 * {@link LatencyLog} takes the interval histograms from elsewhere.
 */
public final class FunctionLatency {
    private final String function;
    private final Map<LatencyKind, Recorder> recorders = new EnumMap<>(LatencyKind.class);
    private final Map<Occupancy, Recorder> occupancy = new EnumMap<>(Occupancy.class);

    public FunctionLatency(String function) {
        this.function = function;
        for (LatencyKind k : LatencyKind.values()) {
            recorders.put(k, new Recorder(3));
        }
        for (Occupancy o : Occupancy.values()) {
            occupancy.put(o, new Recorder(2));
        }
    }

    public String function() {
        return function;
    }

    /** Records {@code nanos} as a value of {@code kind}, in microseconds (at least 1). */
    public void record(LatencyKind kind, long nanos) {
        recorders.get(kind).recordValue(Math.max(1, nanos / 1_000));
    }

    /** Records one sample of how many containers are in {@code state}. */
    public void sample(Occupancy state, long count) {
        occupancy.get(state).recordValue(count);
    }

    Recorder recorder(LatencyKind kind) {
        return recorders.get(kind);
    }

    Recorder recorder(Occupancy state) {
        return occupancy.get(state);
    }
}
