package dev.faaspool.config;

import java.util.Locale;

/**
 * What one request of a function can see of another's (README, Security: what a function can and
 * cannot do). A oneshot container serves one request, so it is always {@link #REQUEST}.
 */
public enum Isolation {
    /**
     * Nothing of a request outlives it (fork mode): when its handler exits, faas-init (PID 1) kills every
     * other process of the container and empties {@code /tmp} and {@code /dev/shm} before it takes the next.
     */
    REQUEST,
    /** Processes and files persist between the requests of one container, as persistent mode needs. */
    CONTAINER;

    /** The spelling of configuration files and of {@code FAAS_ISOLATION}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The default: request isolation wherever the mode allows it. */
    public static Isolation defaultFor(HandlerMode mode) {
        return mode == HandlerMode.PERSISTENT ? CONTAINER : REQUEST;
    }
}
