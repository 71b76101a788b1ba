package dev.faaspool.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The image cache the pool's owner reads: a read never calls the engine on the reader's thread, a tag
 * that moves is seen one refresh later, and an engine outage or a removed image never looks like a new ID.
 */
class ImageCatalogTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final FakeRuntime runtime = new FakeRuntime(FakeRuntime.realTime(), now::get);
    /** The catalog's background work, held until the test runs it: nothing of it runs on the reader's thread. */
    private final Queue<Runnable> background = new ConcurrentLinkedQueue<>();
    private final AtomicInteger refreshes = new AtomicInteger();
    private final ImageCatalog catalog = new ImageCatalog(runtime, Duration.ofSeconds(2), now::get, background::add);

    @AfterEach
    void close() {
        runtime.close();
    }

    /** Runs what the catalog handed its executor (refreshes, the cache's upkeep) on this thread, now. */
    private void runBackground() {
        for (Runnable r; (r = background.poll()) != null; ) {
            refreshes.incrementAndGet();
            r.run();
        }
    }

    @Test
    void aMovedTagIsSeenOneRefreshLaterInTheBackground() throws Exception {
        String first = runtime.imageId("fn:latest");
        ImageInfo info = catalog.load("fn:latest").orElseThrow();
        assertEquals(first, info.id());
        assertEquals(java.util.List.of("/faas-init"), info.entrypoint());
        assertNull(catalog.cachedId("other:latest"), "never loaded: not known, and not loaded by a read");

        runtime.tag("fn:latest", "sha256:rebuilt");
        assertEquals(first, catalog.cachedId("fn:latest"), "fresh: no refresh yet");
        now.addAndGet(Duration.ofMillis(2001).toNanos());
        assertEquals(first, catalog.cachedId("fn:latest"), "a stale read answers at once with what it has");
        assertEquals(first, catalog.cachedId("fn:latest"), "and asked the engine nothing on this thread");
        runBackground();
        assertEquals("sha256:rebuilt", catalog.cachedId("fn:latest"));
        assertTrue(refreshes.get() >= 1, "the refresh ran on the executor");
    }

    @Test
    void anOutageOrARemovedImageNeverLooksLikeANewId() throws Exception {
        String first = catalog.load("fn:latest").orElseThrow().id();
        runtime.engineDown(true);
        now.addAndGet(Duration.ofSeconds(3).toNanos());
        catalog.cachedId("fn:latest");
        runBackground();
        assertTrue(refreshes.get() >= 1);
        assertEquals(first, catalog.cachedId("fn:latest"), "a failed refresh keeps the entry");
        runtime.engineDown(false);

        runtime.imageMissing("fn:latest");
        now.addAndGet(Duration.ofSeconds(3).toNanos());
        catalog.cachedId("fn:latest");
        runBackground();
        assertNull(catalog.cachedId("fn:latest"), "gone: not known, so the pool keeps the ID it has");
        assertTrue(catalog.load("fn:latest").isEmpty());
    }

    @Test
    void aRefreshPeriodBelowAMillisecondIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageCatalog(runtime, Duration.ZERO, now::get, Runnable::run));
        assertEquals("refresh must be at least 1 ms (was PT0S)", e.getMessage());
    }

}
