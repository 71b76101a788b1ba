package dev.faaspool.config;

/** How a function's container serves connections. */
public enum HandlerMode {
    /** The init takes one connection and execs the handler; the container serves once, then is recycled. */
    ONESHOT;

    /** The spelling used in configuration files. */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
