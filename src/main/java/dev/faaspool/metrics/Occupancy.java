package dev.faaspool.metrics;

/** A count of a function's containers, sampled over time; logged as {@code <function>.slots.<state>}. */
public enum Occupancy {
    STARTING("slots.starting"),
    WARM("slots.warm"),
    BUSY("slots.busy");

    private final String tag;

    Occupancy(String tag) {
        this.tag = tag;
    }

    /** The name used in log tags and reports. */
    public String tag() {
        return tag;
    }
}
