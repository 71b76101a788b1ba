package dev.faaspool.pool;

/**
 * Which image ID a function's image reference points at now, as far as it is known without asking the
 * engine: the pool's owner reads it on every decision, so it must never block (in production, the
 * cache of {@link dev.faaspool.runtime.ImageCatalog}, which refreshes itself in the background).
 */
@FunctionalInterface
public interface ImageIds {
    /** The ID {@code image} points at, or null when not known (containers are then created from the reference). */
    String current(String image);

    /** Knows no ID: containers are created from their reference, and a rebuilt image never rolls the pool. */
    static ImageIds none() {
        return image -> null;
    }
}
