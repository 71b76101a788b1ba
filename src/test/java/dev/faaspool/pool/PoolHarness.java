package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.fail;

import dev.faaspool.config.ConfigLoader;
import dev.faaspool.config.PoolConfig;
import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.runtime.FakeRuntime;
import dev.faaspool.runtime.ImageCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The real {@link Pool} on a {@link FakeRuntime}, a {@link FakeTicker} and a {@link ManualScheduler}: the
 * owner's tasks run on the test's thread when it pumps them ({@link #await}) or moves time
 * ({@link #advance}); launches and removals run on real threads, and containers say hello over real Unix
 * sockets. Closing it closes the pool, so a failing test leaves no socket or thread behind.
 */
final class PoolHarness implements AutoCloseable {
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    final FakeTicker ticker = new FakeTicker(1_000_000_000_000L);
    final TaskGuard guard = new TaskGuard(ticker::read);
    final ManualScheduler owner = new ManualScheduler(ticker, guard);
    final FakeRuntime runtime = new FakeRuntime(FakeRuntime.realTime(), ticker::read);
    final Path dir;
    final String instance = "unit-" + ProcessHandle.current().pid() + "-" + INSTANCES.incrementAndGet();
    private final ExecutorService launchers = Executors.newCachedThreadPool();
    private final ExecutorService reapers = Executors.newFixedThreadPool(2);
    private final ExecutorService inspector = Executors.newSingleThreadExecutor();
    /** The image IDs the pool reads, as Service feeds them: refreshed 2 s (virtual) after each load. */
    final ImageCatalog images = new ImageCatalog(runtime, Duration.ofSeconds(2), ticker::read, inspector);
    private final RunDirectory runDir;
    final Pool pool;

    /**
     * @param firstBoots what the first containers do when started (then: say hello), planned before the
     *                   pool starts any; the backoff after failed starts is 2 s, doubling up to 8 s
     */
    PoolHarness(Path dir, String yaml, FakeRuntime.Boot... firstBoots) throws Exception {
        this.dir = dir;
        runtime.planNext(firstBoots);
        Backoff backoff = new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(8));
        PoolConfig config = config(yaml);
        runDir = RunDirectory.open(dir.resolve("run"), instance, dir.resolve("locks"));
        Clock wall = Clock.fixed(Instant.parse("2026-12-02T12:00:00Z"), ZoneOffset.UTC);
        config.functions().forEach(f -> images.load(f.image())); // as Service checks them before it starts
        pool = new Pool(config, runtime, runDir, instance, latencies(config), 4, backoff,
                new PoolServices(ticker, wall, owner, launchers, reapers, guard).withImages(images::cachedId));
        pool.start();
    }

    /** {@code yaml} as a pool-config file, loaded as faas-pool loads one. */
    PoolConfig config(String yaml) throws Exception {
        Path f = Files.createTempFile(dir, "pool", ".yaml");
        Files.writeString(f, yaml);
        return new ConfigLoader().load(f);
    }

    static Map<String, FunctionLatency> latencies(PoolConfig config) {
        Map<String, FunctionLatency> m = new HashMap<>();
        config.functions().forEach(f -> m.put(f.name(), new FunctionLatency(f.name())));
        return m;
    }

    FunctionPool fn(String name) {
        return pool.function(name);
    }

    /**
     * Runs the owner's tasks until {@code condition} holds; fails after 10 s. Virtual time moves on by a
     * millisecond a round, about as fast as real time, as it does while a pool waits for its threads (a
     * reconcile asked for right after another one runs {@code RECONCILE_GAP} later).
     */
    void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            owner.advance(Duration.ofMillis(1));
            if (condition.getAsBoolean()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(1);
        }
    }

    /** Moves virtual time by {@code d}, the owner's tasks running at their times. */
    void advance(Duration d) {
        owner.advance(d);
    }

    @Override
    public void close() throws Exception {
        try {
            pool.close();
        } finally {
            runtime.close();
            runDir.close();
            inspector.shutdownNow();
        }
    }
}
