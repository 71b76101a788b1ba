package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.config.Bounds;
import dev.faaspool.config.ConfigLoader;
import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.HandlerMode;
import dev.faaspool.config.PoolConfig;
import dev.faaspool.config.Tries;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every configuration within the {@link Bounds}, the bounds themselves most of all, loads, and the pool's
 * arithmetic on what it loaded neither overflows nor leaves its range: the deadlines ({@code System.nanoTime()}
 * plus each timeout), the memory budget's sum, and the pure functions that size a pool
 * ({@link ScalingPolicy#target}, {@link ScalingPolicy#mayRetireIdle}, {@link ScalingPolicy#slots},
 * {@link PoolPlan#toStart}, {@link PoolPlan#recycleAhead}) fed from a real {@link Demand} driven
 * across the idle TTL and from snapshots of any size.
 */
class SpecArithmeticPropertyTest {
    private static final int TRIES = Integer.getInteger("faaspool.tries", 1000);
    private static final ZonedDateTime NOON = ZonedDateTime.of(2026, 11, 25, 12, 0, 0, 0, ZoneOffset.UTC);
    /** Dispatcher.DONE_MARGIN (5 s, in dispatch), with room to spare: a fork request's wait for DONE. */
    private static final Duration DONE_MARGIN = Duration.ofMinutes(1);

    @TempDir
    static Path dir;

    @Test
    void everySpecWithinTheBoundsLoadsAndThePoolsArithmeticOnItStaysInRange() {
        Tries t = new Tries("spec arithmetic");
        for (int i = 0; i < TRIES; i++) {
            Random r = t.random();
            // Each value at its lower bound, its upper bound or anywhere between, a third of the time each.
            t.check(yaml(r), yaml -> {
                Path file = Files.writeString(dir.resolve("pool.yaml"), yaml);
                PoolConfig config = new ConfigLoader().load(file); // within the bounds: must load
                FunctionSpec spec = config.functions().get(0);
                deadlines(spec);
                memory(spec, r);
                for (int j = 0; j < 20; j++) {
                    sizing(spec, r);
                }
                return spec.mode().configName();
            });
        }
        t.report();
    }

    /** Every deadline the pool computes from a timeout fits in a long, and so does every timeout in ms. */
    private static void deadlines(FunctionSpec spec) {
        long now = System.nanoTime();
        Math.addExact(now, spec.timeouts().acquire().toNanos()); // Dispatcher: acceptedNanos + acquire
        Math.addExact(now, spec.timeouts().start().toNanos()); // SlotLauncher: createdNanos + start
        Math.addExact(now, spec.timeouts().request().toNanos()); // Pool.tick: now - accepted > request
        Math.addExact(now, spec.timeouts().request().plus(DONE_MARGIN).toNanos()); // Dispatcher.awaitDone
        Math.addExact(now, spec.pool().idleTtl().toNanos()); // ScalingPolicy: since deployed/last < idle-ttl
        assertTrue(spec.timeouts().request().plus(DONE_MARGIN).toMillis() < Integer.MAX_VALUE); // socket timeouts
        assertTrue(spec.timeouts().start().toMillis() < Integer.MAX_VALUE);
    }

    /** The memory budget's sum is exact, or saturates once it exceeds a long; a pool's slots fit a long. */
    private static void memory(FunctionSpec spec, Random r) {
        BigInteger each = BigInteger.valueOf(spec.pool().min()).multiply(BigInteger.valueOf(spec.limits().memoryBytes()));
        assertEquals(each.longValueExact(), PoolConfig.minimumsMemory(List.of(spec)));
        int n = 1 + r.nextInt(2000);
        BigInteger all = each.multiply(BigInteger.valueOf(n));
        long sum = PoolConfig.minimumsMemory(Collections.nCopies(n, spec));
        assertEquals(all.bitLength() < 64 ? all.longValueExact() : Long.MAX_VALUE, sum, n + " functions");
        Math.multiplyExact((long) spec.pool().max(), spec.limits().memoryBytes()); // Pool.reconcile: n * each
    }

    /** One decision of the pool on random demand: target, retirement, starts, all within the pool's bounds. */
    private static void sizing(FunctionSpec spec, Random r) {
        FunctionSpec.PoolSize p = spec.pool();
        Demand.Snapshot d = r.nextBoolean() ? driven(spec, r) : snapshot(spec, r);
        int held = r.nextInt(p.max() + 1);
        ScalingPolicy.Target target = ScalingPolicy.target(spec, d, NOON, held);
        assertTrue(target.ready() >= p.min() && target.ready() <= p.max(), target + " of " + p + " for " + d);

        double rate = Math.max(d.shortRate(), d.longRate());
        int slots = ScalingPolicy.slots(spec, d, rate);
        assertTrue(slots >= 0, "slots " + slots + " for " + d);
        assertTrue(ScalingPolicy.slots(spec, d, rate * 2) >= slots, "more traffic, fewer slots, for " + d);
        assertTrue(ScalingPolicy.slots(spec, d, rate, held) >= 0);

        int ready = r.nextInt(p.max() + 1);
        long idle = switch (r.nextInt(3)) {
            case 0 -> 0;
            case 1 -> Math.floorMod(r.nextLong(), 2 * p.idleTtl().toNanos());
            default -> Long.MAX_VALUE;
        };
        ScalingPolicy.mayRetireIdle(spec, d, ready, target, idle);

        int starting = r.nextInt(p.max() + 1);
        int warm = r.nextInt(p.max() - starting + 1);
        int busy = r.nextInt(p.max() - starting - warm + 1);
        int expiring = r.nextInt(warm + busy + 1);
        int toStart = PoolPlan.toStart(spec, target.ready(), r.nextInt(10_001), r.nextBoolean(), starting, warm,
                busy, expiring);
        assertTrue(toStart >= 0 && toStart <= p.max() - (starting + warm + busy), "toStart " + toStart);

        int ahead = PoolPlan.recycleAhead(p.maxUses());
        assertTrue(ahead >= 1 && ahead <= p.maxUses() && p.maxUses() - ahead >= 0, "recycleAhead " + ahead);
    }

    /** A real {@link Demand}: arrivals, starts and services spread across up to twice the idle TTL. */
    private static Demand.Snapshot driven(FunctionSpec spec, Random r) {
        long ttl = spec.pool().idleTtl().toNanos();
        long now = System.nanoTime();
        Demand demand = new Demand(now);
        int max = spec.pool().max();
        for (int i = r.nextInt(60); i > 0; i--) {
            now += r.nextInt(4) == 0 ? Math.floorMod(r.nextLong(), 2 * ttl) : r.nextInt(1_000_000_000);
            demand.arrival(now, r.nextInt(max + 1), r.nextInt(max + 1), r.nextInt(1000));
            demand.started(Math.floorMod(r.nextLong(), spec.timeouts().start().toNanos() + 1));
            demand.served(Math.floorMod(r.nextLong(), spec.timeouts().request().plus(DONE_MARGIN).toNanos() + 1));
        }
        return demand.snapshot(now + Math.floorMod(r.nextLong(), 2 * ttl + 1));
    }

    /** A snapshot of any size the pool's measurements can reach, and the extremes of its types. */
    private static Demand.Snapshot snapshot(FunctionSpec spec, Random r) {
        double requestSeconds = spec.timeouts().request().plus(DONE_MARGIN).toSeconds();
        double startSeconds = spec.timeouts().start().toSeconds();
        long ttl = spec.pool().idleTtl().toNanos();
        return new Demand.Snapshot(rate(r), rate(r), r.nextDouble() * requestSeconds, r.nextDouble() * startSeconds,
                anyNanos(r, ttl), r.nextInt(5) == 0 ? -1 : anyNanos(r, ttl), rate(r),
                r.nextBoolean() ? r.nextInt(10) : Math.abs(r.nextLong()), r.nextDouble() * 86_400,
                r.nextDouble() * 86_400, r.nextInt(4) == 0 ? Integer.MAX_VALUE : r.nextInt(100_000));
    }

    /** Requests per second: none, a trickle, or up to ten million. */
    private static double rate(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> r.nextDouble();
            case 2 -> r.nextDouble() * 1_000;
            default -> r.nextDouble() * 10_000_000;
        };
    }

    private static long anyNanos(Random r, long ttl) {
        return switch (r.nextInt(4)) {
            case 0 -> ttl - 1 + r.nextInt(3); // at the idle TTL
            case 1 -> Math.floorMod(r.nextLong(), 2 * ttl);
            case 2 -> Long.MAX_VALUE;
            default -> Math.abs(r.nextLong() % Long.MAX_VALUE);
        };
    }

    // ---- a configuration within the bounds ----

    private static String yaml(Random r) {
        HandlerMode mode = HandlerMode.values()[r.nextInt(HandlerMode.values().length)];
        boolean demand = r.nextInt(3) > 0;
        int max = (int) pick(r, 1, Bounds.MAX_CONTAINERS);
        int min = (int) pick(r, 0, max);
        long memory = pick(r, Bounds.MIN_MEMORY, Bounds.MAX_MEMORY);
        StringBuilder y = new StringBuilder();
        if (r.nextBoolean() && BigInteger.valueOf(min).multiply(BigInteger.valueOf(memory))
                .compareTo(BigInteger.valueOf(Bounds.MAX_HOST_MEMORY)) <= 0) {
            y.append("host:\n  memory: ").append(Bounds.MAX_HOST_MEMORY).append('\n');
        }
        y.append("functions:\n  f:\n    image: img\n    listen: 127.0.0.1:8080\n")
                .append("    mode: ").append(mode.configName()).append('\n')
                .append("    pool:\n      min: ").append(min).append("\n      max: ").append(max)
                .append("\n      scaling: ").append(demand ? "demand" : "fixed")
                .append("\n      prewarm: ").append(demand && r.nextBoolean() ? "learned" : "off")
                .append("\n      max-uses: ").append(pick(r, 1, Integer.MAX_VALUE))
                .append("\n      idle-ttl: ").append(pick(r, 1, Bounds.MAX_IDLE_TTL.toMillis())).append("ms\n");
        if (demand) {
            y.append("      initial: ").append(pick(r, 0, max)).append('\n');
        }
        if (r.nextBoolean()) {
            y.append("      schedules:\n        - { days: daily, from: \"00:00\", to: \"23:59\", min: ")
                    .append(pick(r, 0, max)).append(" }\n");
        }
        y.append("    limits:\n      memory: ").append(memory)
                .append("\n      tmp: ").append(pick(r, 0, Bounds.MAX_TMP))
                .append("\n      pids: ").append(pick(r, 1, Bounds.MAX_PIDS))
                .append("\n      user: \"").append(pick(r, 1, Bounds.MAX_ID)).append(':').append(pick(r, 1, Bounds.MAX_ID))
                .append("\"\n    timeouts:\n      acquire: ").append(pick(r, 1, Bounds.MAX_ACQUIRE.toMillis()))
                .append("ms\n      start: ").append(pick(r, 1, Bounds.MAX_START.toMillis()))
                .append("ms\n      request: ").append(pick(r, 1, Bounds.MAX_REQUEST.toMillis())).append("ms\n");
        return y.toString();
    }

    /** {@code lo}, {@code hi} or anywhere between, a third of the time each. */
    private static long pick(Random r, long lo, long hi) {
        return switch (r.nextInt(3)) {
            case 0 -> lo;
            case 1 -> hi;
            default -> lo + Math.floorMod(r.nextLong(), hi - lo + 1);
        };
    }
}
