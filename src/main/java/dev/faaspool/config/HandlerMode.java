package dev.faaspool.config;

import java.util.Locale;

/** How a function's containers serve connections (runtime-init/PROTOCOL.md, Modes). */
public enum HandlerMode {
    /** The init takes one connection and execs the handler: one container per request. */
    ONESHOT,
    /** The init stays as a supervisor and forks the handler per connection: one process per request. */
    FORK,
    /** The handler itself takes connections through an SDK, one after another: one process for many requests. */
    PERSISTENT;

    /** The spelling used in configuration files and in {@code FAAS_MODE}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether a container serves more than one request. */
    public boolean reusesContainers() {
        return this != ONESHOT;
    }
}
