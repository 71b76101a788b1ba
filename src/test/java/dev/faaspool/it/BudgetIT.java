package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's memory budget, shared by functions: a waiting request takes another function's idle container's place. */
class BudgetIT {
    @TempDir
    Path work;
    private PoolProcess pool;

    @AfterEach
    void cleanUp() throws Exception {
        if (pool != null) {
            pool.close();
        }
    }

    @Test
    void aFunctionThatNeedsAContainerGetsTheIdleOneOfAnotherWithinTheBudget() throws Exception {
        int portA = PoolProcess.freePort();
        int portB = PoolProcess.freePort();
        // a keeps two warm containers all day long (a schedule), which spends the whole budget of 128m.
        Path config = Files.writeString(work.resolve("pool.yaml"), """
                host:
                  memory: 128m
                functions:
                  a:
                    image: faas-hello:latest
                    listen: 127.0.0.1:%d
                    mode: fork
                    limits: { memory: 64m }
                    pool:
                      min: 0
                      max: 2
                      scaling: fixed
                      schedules:
                        - { days: daily, from: "00:00", to: "12:00", min: 2 }
                        - { days: daily, from: "12:00", to: "00:00", min: 2 }
                  b:
                    image: faas-hello:latest
                    listen: 127.0.0.1:%d
                    mode: fork
                    limits: { memory: 64m }
                    pool: { min: 0, max: 1, scaling: fixed }
                """.formatted(portA, portB));
        pool = PoolProcess.start(work, "budget", "--config", config.toString());
        pool.awaitStdout(Pattern.compile("admin: http"), Duration.ofSeconds(60));
        pool.awaitFunction("a", f -> f.get("warm").asInt() == 2, Duration.ofSeconds(60));
        assertEquals(2, Docker.runningOf(pool.instance).size());

        AtomicInteger most = new AtomicInteger();
        AtomicBoolean watching = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            while (watching.get()) {
                try {
                    most.accumulateAndGet(Docker.runningOf(pool.instance).size(), Math::max);
                } catch (Exception ignored) {
                    // the next look counts
                }
            }
        });
        watcher.start();

        InetSocketAddress b = new InetSocketAddress(InetAddress.getLoopbackAddress(), portB);
        HttpProbe.Response r = HttpProbe.get(b, "/", 30_000);
        assertEquals(200, r.status(), "b is served although the budget was spent");
        pool.awaitLog(Pattern.compile("a: retiring idle slot a-\\d+ .*to make room for b within the memory budget"),
                Duration.ofSeconds(10));
        InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), portA);
        assertEquals(200, HttpProbe.get(a, "/", 30_000).status(), "and a still serves with the container it kept");
        Thread.sleep(3_000); // a wants its second container back: the budget must keep refusing it
        watching.set(false);
        watcher.join(10_000);

        assertTrue(most.get() <= 2, "never more containers than the budget holds: " + most.get());
        assertEquals(1, pool.function("a").get("warm").asInt() + pool.function("a").get("busy").asInt());
        assertEquals(1, pool.function("b").get("warm").asInt() + pool.function("b").get("busy").asInt());
    }
}
