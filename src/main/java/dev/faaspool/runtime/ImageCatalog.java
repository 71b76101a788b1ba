package dev.faaspool.runtime;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * The local images' metadata (ID, entrypoint, user, size), by image reference, in a Caffeine cache that
 * refreshes itself in the background.
 *
 * <h2>Who may block</h2>
 * {@link #load} asks the engine and blocks: it is for start-up and for applying a configuration (a
 * watcher's thread). {@link #cachedId} never blocks and never calls the engine on the caller's thread: it
 * reads what the cache holds; a read of an entry older than {@code refreshAfterWrite} makes the cache
 * inspect the image again on {@code executor}, and the answer replaces the entry when it comes. So the
 * pool's owner, which reads the ID on every tick, learns that a tag now points at another image one
 * refresh later, without a Docker call on its thread or on a request's path.
 *
 * <h2>Failures</h2>
 * A refresh that fails (the engine is down) keeps the entry it would have replaced: an outage never looks
 * like an image change. An image that is gone is cached as absent ({@link #cachedId} null), and the pool
 * keeps the image ID it had.
 */
public final class ImageCatalog {
    private final ContainerRuntime runtime;
    private final LoadingCache<String, Optional<ImageInfo>> cache;

    /**
     * @param refresh  how old an entry may be before a read refreshes it in the background (at least 1 ms)
     * @param ticker   the cache's time, the pool's ticker (a fake one in tests)
     * @param executor where refreshes run; never the event loops or the pool's owner
     */
    public ImageCatalog(ContainerRuntime runtime, Duration refresh, Ticker ticker, Executor executor) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        if (refresh.toMillis() < 1) {
            throw new IllegalArgumentException("refresh must be at least 1 ms (was " + refresh + ")");
        }
        this.cache = Caffeine.newBuilder()
                .refreshAfterWrite(refresh)
                .ticker(ticker)
                .executor(executor)
                .build(image -> Optional.ofNullable(this.runtime.inspectImage(image)));
    }

    /**
     * Inspects {@code image} now (blocking on the engine) and caches the answer; empty when it does not
     * exist locally.
     */
    public Optional<ImageInfo> load(String image) {
        Optional<ImageInfo> info = Optional.ofNullable(runtime.inspectImage(image));
        cache.put(image, info);
        return info;
    }

    /**
     * The ID {@code image} pointed at when last inspected, or null when it was never loaded or did not
     * exist. Never blocks; may start a background refresh.
     */
    public String cachedId(String image) {
        Optional<ImageInfo> info = cache.getIfPresent(image);
        return info == null ? null : info.map(ImageInfo::id).orElse(null);
    }

    /** What was cached of {@code image}, without loading it. */
    public Optional<ImageInfo> cached(String image) {
        Optional<ImageInfo> info = cache.getIfPresent(image);
        return info == null ? Optional.empty() : info;
    }
}
