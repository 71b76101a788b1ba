package dev.faaspool.cli;

import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGHUP, what {@code systemctl reload} sends, asks for a reload instead of stopping the JVM (whose own
 * handler would run the shutdown hooks and stop the pool). SIGINT and SIGTERM keep the JVM's handling:
 * the shutdown hook drains.
 *
 * <p>Uses {@code sun.misc.Signal} (module {@code jdk.unsupported}, exported to the class path without any
 * flag, kept for this use since Java 9). The JVM runs the handler on a thread of its own, not in the
 * signal's context; still, the handler only posts the reload to the watcher's thread ({@link
 * ConfigWatcher#reloadNow}), so that a slow load or apply never holds the JVM's signal dispatch.
 */
final class Hangup implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Hangup.class);
    private static final Signal HUP = new Signal("HUP");

    private final AtomicReference<Runnable> reload = new AtomicReference<>();
    private final String nothing;
    private final SignalHandler previous;

    /**
     * Takes SIGHUP over from now on.
     *
     * @param nothing what is logged on a SIGHUP while there is nothing to reload ({@link #reloadWith} not
     *                called: no {@code --config}, or still starting)
     */
    Hangup(String nothing) {
        this.nothing = nothing;
        SignalHandler before;
        try {
            before = Signal.handle(HUP, sig -> onHangup());
        } catch (IllegalArgumentException e) {
            // The JVM reserves it (-Xrs): SIGHUP then does what the JVM does, and faas-pool says so once.
            log.warn("SIGHUP cannot be handled ({}); it will not reload", e.getMessage());
            before = null;
        }
        this.previous = before;
    }

    /** From now on a SIGHUP runs {@code post}, which must only hand the work to another thread. */
    void reloadWith(Runnable post) {
        reload.set(post);
    }

    private void onHangup() {
        Runnable r = reload.get();
        if (r == null) {
            log.info("SIGHUP: {}; nothing changed", nothing);
        } else {
            r.run();
        }
    }

    /** Gives SIGHUP back to the handler it had before. */
    @Override
    public void close() {
        reload.set(null);
        if (previous != null) {
            Signal.handle(HUP, previous);
        }
    }
}
