package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Learned pre-warming with real containers and a real clock: a function called every 15 s (each silence
 * a pause, {@code Demand.PAUSE} being 10 s) keeps its container through the first pauses (the keep-alive),
 * then, once it has learned them, goes to zero in each pause and is warm again before its next call.
 */
class LearnedPrewarmIT {
    private static final Duration PERIOD = Duration.ofSeconds(15);

    @TempDir
    Path work;
    private final OneFunction fn = new OneFunction();

    @AfterEach
    void cleanUp() throws Exception {
        fn.close();
    }

    @Test
    void aPeriodicFunctionGoesToZeroInItsPausesAndIsWarmForItsNextCall() throws Exception {
        PoolProcess pool = fn.start(work, "learned", """
                image: faas-hello:latest
                mode: fork
                pool: { min: 0, max: 2, idle-ttl: 10m, prewarm: learned, initial: 0 }
                """);
        InetSocketAddress address = fn.address();
        pool.awaitStdout(Pattern.compile("fn: \\d+/\\d+ warm"), Duration.ofSeconds(60));

        long t0 = System.nanoTime();
        int calls = 4; // 3 pauses: ScalingPolicy.LEARNED_SAMPLES
        for (int i = 0; i < calls; i++) {
            sleepUntil(t0 + i * PERIOD.toNanos());
            assertEquals(200, HttpProbe.get(address, "/", 30_000).status(), "call " + (i + 1));
        }
        JsonNode learning = pool.function("fn");
        assertEquals(1, learning.get("requests").get("cold").asInt(),
                "while it learns, the keep-alive keeps its container: only the first call was cold; " + learning);

        JsonNode paused = pool.awaitFunction("fn", f -> f.get("targetReason").asText().equals("learned pause")
                && f.get("warm").asInt() == 0 && f.get("starting").asInt() == 0, Duration.ofSeconds(13));
        assertEquals(0, paused.get("target").asInt(), paused.toString());
        awaitNoneRunning(pool, t0 + calls * PERIOD.toNanos() - Duration.ofSeconds(3).toNanos());

        JsonNode ahead = pool.awaitFunction("fn", f -> f.get("targetReason").asText().equals("learned")
                && f.get("warm").asInt() == 1, Duration.ofSeconds(8));
        assertTrue(System.nanoTime() < t0 + calls * PERIOD.toNanos(), "warm before the next call is due: " + ahead);

        sleepUntil(t0 + calls * PERIOD.toNanos());
        assertEquals(200, HttpProbe.get(address, "/", 30_000).status(), "the call after the pause");
        JsonNode after = pool.awaitFunction("fn", f -> f.get("requests").get("warm").asInt() == calls,
                Duration.ofSeconds(5));
        assertEquals(1, after.get("requests").get("cold").asInt(), "served by the pre-warmed container: " + after);
    }

    /** Removal follows retirement: waits until the instance runs no container, before {@code deadline}. */
    private static void awaitNoneRunning(PoolProcess pool, long deadline) throws Exception {
        List<String> running;
        while (!(running = Docker.runningOf(pool.instance)).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still running in the pause: " + running);
            }
            Thread.sleep(100);
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            Thread.sleep(Math.max(1, left / 1_000_000));
        }
    }
}
