package dev.faaspool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import sun.misc.Signal;

/**
 * A real SIGHUP to this JVM runs the reload it was given, on a thread that is not the signal's sender,
 * and does not stop the JVM (were the handler not installed, the JVM's own would end this test run).
 */
class HangupTest {
    @Test
    void aHangupRunsTheReloadAndNothingElse() throws Exception {
        CountDownLatch reloaded = new CountDownLatch(2);
        AtomicReference<String> thread = new AtomicReference<>();
        try (Hangup h = new Hangup("nothing to reload")) {
            Signal.raise(new Signal("HUP")); // nothing given yet: logged, nothing runs
            h.reloadWith(() -> {
                thread.set(Thread.currentThread().getName());
                reloaded.countDown();
            });
            Signal.raise(new Signal("HUP"));
            Signal.raise(new Signal("HUP"));
            assertTrue(reloaded.await(10, TimeUnit.SECONDS), "each SIGHUP asked for a reload");
        }
        assertTrue(thread.get() != null && !thread.get().equals(Thread.currentThread().getName()), thread.get());
        assertEquals(0, reloaded.getCount());
    }
}
