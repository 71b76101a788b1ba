package dev.faaspool.runtime;

import java.time.Duration;
import java.util.List;
import java.util.function.ObjLongConsumer;

/**
 * What the pool needs of a container engine. Every method may block on the engine and throws
 * {@link RuntimeException} (usually {@link ContainerRuntimeException}) when it fails.
 */
public interface ContainerRuntime extends AutoCloseable {

    /** Creates a container from {@code spec} without starting it; returns its id. */
    String create(ContainerSpec spec);

    void start(String id);

    /** Removes a container, killing it if it runs. Removing a container that is gone is not an error. */
    void remove(String id);

    /** Why the container stopped; for one that still runs, exit code -1. */
    ContainerExit inspectExit(String id);

    /** Ids of all containers, running or not, whose label {@code key} has {@code value}. */
    List<String> findByLabel(String key, String value);

    /** Ids of stopped containers whose label {@code key} has {@code value}. */
    List<String> findExitedByLabel(String key, String value);

    /**
     * Ids of containers whose label {@code key} has {@code value} that were created at least
     * {@code age} ago and never started: what a failed start, or an engine going down, left behind.
     * (Younger ones may be starts under way.)
     */
    List<String> findNeverStartedByLabel(String key, String value, Duration age);

    /**
     * Calls {@code onExit} with the id and exit code (-1 when the engine did not say) of each container
     * labelled {@code key=value} that stops, until the returned handle is closed. Delivery is best
     * effort: a stream that breaks is re-opened, and callers that must not miss an exit also poll
     * {@link #findExitedByLabel}.
     */
    AutoCloseable watchExits(String key, String value, ObjLongConsumer<String> onExit);

    /** Whether the image exists locally (nothing is ever pulled). */
    boolean imageExists(String image);

    /**
     * Whether a container can join the network {@code name}: {@code none} always can; another name must be a
     * network the engine has (nothing is ever created).
     */
    boolean networkExists(String name);

    /** The local image {@code image} (a reference or an ID): its ID and metadata, or null when it does not exist. */
    ImageInfo inspectImage(String image);

    @Override
    void close();
}
