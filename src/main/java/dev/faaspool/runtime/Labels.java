package dev.faaspool.runtime;

/**
 * The labels every container started by faas-pool carries. They are how an instance finds what it
 * started, in this run or an earlier one, and the only thing it removes by.
 */
public final class Labels {
    /** Present on every faas-pool container; its value is the instance name. */
    public static final String INSTANCE = "dev.faaspool.instance";
    public static final String FUNCTION = "dev.faaspool.function";
    public static final String SLOT = "dev.faaspool.slot";
    /** The process id of the faas-pool that started the container, for people reading {@code docker ps}. */
    public static final String OWNER_PID = "dev.faaspool.pid";

    private Labels() {}
}
