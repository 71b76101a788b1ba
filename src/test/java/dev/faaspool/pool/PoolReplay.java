package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.PoolConfig;
import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.runtime.FakeRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * One function's pool replayed in virtual time: the real {@link Pool} (its {@link PoolPlan}, owner,
 * launcher and retirement code) on a {@link FakeRuntime} whose starts take the {@link EngineModel}'s time,
 * a {@link FakeTicker} and a {@link ManualScheduler}; containers say hello over real Unix sockets. An hour
 * of traffic takes seconds, and two runs of the same trace and seed give the same result.
 *
 * <h2>What is the pool's, what is the replay's</h2>
 * Everything that decides (targets, starts, retirements, backoff, recycling, idle TTL) is the pool's own
 * code. The replay plays the dispatcher, with {@code FunctionDispatch}'s rules and through the same calls
 * ({@link FunctionPool#arrived}, {@link FunctionPool#take}, {@link FunctionPool#lease},
 * {@link FunctionPool#taken}, {@link FunctionPool#finished}, {@link FunctionPool#waiting}): a request takes
 * the idle warm slot that became free last (LIFO) when none waits, otherwise it waits, first come first
 * served; one that waits past the acquire timeout is answered 503. A handler ends after the trace's service
 * time: {@code DONE} in fork and persistent modes, its container's exit in oneshot mode. No network, no
 * dispatch time.
 */
final class PoolReplay {
    private static final Instant WALL = Instant.parse("2026-11-25T12:00:00Z");
    private static final AtomicInteger RUNS = new AtomicInteger();

    /**
     * What one replay measured.
     *
     * @param cold             requests that waited for a container start (faas-pool's own "cold"), 503s included
     * @param coldOnStart      those served by a container that had just started
     * @param coldEmpty        those that found the function with no container at all (scaled to zero)
     * @param timeouts         requests that waited past the acquire timeout (503)
     * @param latencyMicros    arrival to the end of the request: waiting plus service
     * @param containerSeconds the integral of live containers (starting, warm or busy) over the trace
     * @param startMicros      container starts, create to warm
     * @param retiredEarly     idle containers retired before the idle TTL (the learned window had closed)
     */
    record Result(String system, long requests, long cold, long coldOnStart, long coldEmpty, long timeouts,
            Histogram latencyMicros, double containerSeconds, double seconds, long starts, Histogram startMicros,
            int peak, long retiredEarly) {
        double coldFraction() {
            return requests == 0 ? 0 : (double) cold / requests;
        }

        double meanContainers() {
            return containerSeconds / seconds;
        }

        double latencyMillis(double percentile) {
            return latencyMicros.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    private final FunctionSpec spec;
    private final long seed;

    PoolReplay(FunctionSpec spec, long seed) {
        this.spec = spec;
        this.seed = seed;
    }

    /** Replays {@code t} from a pool just deployed; requests in flight at its end are let finish. */
    Result run(Trace t, String system) {
        Path dir;
        try {
            // On tmpfs where there is one: each container's slot directory is made and removed, thousands a run.
            Path shm = Path.of("/dev/shm");
            dir = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "faas-replay")
                    : Files.createTempDirectory("faas-replay");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return new Run(t, dir).replay(system);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(dir);
        }
    }

    private final class Run {
        final Trace trace;
        final FakeTicker ticker = new FakeTicker(0);
        final TaskGuard guard = new TaskGuard(ticker::read);
        final ManualScheduler owner = new ManualScheduler(ticker, guard);
        final SteppedExecutor launchers = new SteppedExecutor();
        final EngineModel engine = new EngineModel(ticker, launchers, seed);
        final FakeRuntime runtime = new FakeRuntime(engine, ticker::read);
        final Path dir;
        final ArrayDeque<Slot> idle = new ArrayDeque<>(); // head: the one free most recently
        final ArrayDeque<Request> waiters = new ArrayDeque<>();
        final Map<String, Slot> byContainer = new HashMap<>();
        final Set<Slot> serving = new HashSet<>();
        final Histogram latency = new Histogram(3_600_000_000L, 3);
        final Histogram startLatency = new Histogram(3_600_000_000L, 3);
        FunctionPool fp;
        long coldOnStart, coldEmpty, timeouts, completed, retiredEarly;
        int peak;
        double area; // container-nanoseconds
        long areaAt;

        Run(Trace trace, Path dir) {
            this.trace = trace;
            this.dir = dir;
        }

        /** A request of the trace, as the dispatcher holds it. */
        final class Request {
            final int index;
            final long arrived;
            boolean waited;
            boolean served;

            Request(int index, long arrived) {
                this.index = index;
                this.arrived = arrived;
            }
        }

        Result replay(String system) throws IOException {
            String instance = "replay-" + ProcessHandle.current().pid() + "-" + RUNS.incrementAndGet();
            Clock wall = new Clock() { // the wall clock moves with the ticker
                @Override
                public ZoneId getZone() {
                    return ZoneOffset.UTC;
                }

                @Override
                public Clock withZone(ZoneId zone) {
                    return this;
                }

                @Override
                public Instant instant() {
                    return WALL.plusNanos(ticker.read());
                }
            };
            PoolConfig config = new PoolConfig(List.of(spec), new PoolConfig.Host(0, ZoneOffset.UTC));
            try (RunDirectory runDir = RunDirectory.open(dir.resolve("run"), instance, dir.resolve("locks"))) {
                Pool pool = new Pool(config, runtime, runDir, instance, Map.of(spec.name(), new FunctionLatency(spec.name())),
                        64, Backoff.DEFAULT, new PoolServices(ticker, wall, owner, launchers, new DirectExecutor(), guard));
                try {
                    fp = pool.function(spec.name());
                    fp.dispatchTo(this::warm);
                    runtime.watchExits(dev.faaspool.runtime.Labels.INSTANCE, instance, this::exited);
                    pool.start();
                    drive();
                } finally {
                    pool.close();
                    runtime.close();
                }
            }
            if (!guard.counts().isEmpty()) {
                throw new IllegalStateException(trace.name() + ": the pool's tasks failed: " + guard.counts());
            }
            long n = trace.arrivals().length;
            return new Result(system, n, coldOnStart + timeouts, coldOnStart, coldEmpty, timeouts, latency,
                    area / 1e9, trace.durationNanos() / 1e9, runtime.created(), startLatency, peak, retiredEarly);
        }

        private void drive() {
            long[] arrivals = trace.arrivals();
            long end = trace.durationNanos();
            int next = 0;
            while (true) {
                settle();
                if (next >= arrivals.length && completed + timeouts == arrivals.length && ticker.read() >= end) {
                    return;
                }
                long at = Math.min(owner.nextDue(), engine.nextCompletion());
                if (next < arrivals.length) {
                    at = Math.min(at, arrivals[next]);
                }
                if (at > end + Duration.ofMinutes(10).toNanos()) {
                    throw new IllegalStateException(trace.name() + ": requests still unfinished 10 min after the end");
                }
                moveTo(at);
                for (EngineModel.Start s : engine.complete(at)) {
                    launchers.resume(s.go);
                    settle();
                }
                while (next < arrivals.length && arrivals[next] <= at) {
                    arrive(new Request(next, arrivals[next]));
                    next++;
                    settle();
                }
            }
        }

        /** Runs what is due now: the owner's tasks and the launches they start, until nothing is left. */
        private void settle() {
            boolean ran;
            do {
                ran = owner.runDue() > 0;
                ran |= launchers.runQueued();
            } while (ran);
            peak = Math.max(peak, fp.slots().size());
        }

        /** Moves virtual time to {@code t}, integrating live containers up to the trace's end. */
        private void moveTo(long t) {
            long upTo = Math.min(t, trace.durationNanos());
            if (upTo > areaAt) {
                area += (double) fp.slots().size() * (upTo - areaAt);
                areaAt = upTo;
            }
            ticker.advanceTo(t);
        }

        // ---- the dispatcher's part ----

        private void arrive(Request r) {
            fp.arrived(ticker.read());
            Slot s = waiters.isEmpty() ? takeIdle() : null;
            if (s != null) {
                serve(s, r);
                return;
            }
            r.waited = true;
            if (fp.slots().isEmpty()) {
                coldEmpty++;
            }
            waiters.add(r);
            fp.waiting(waiters.size());
            owner.schedule("replay", spec.timeouts().acquire(), () -> acquireTimeout(r));
        }

        private Slot takeIdle() {
            for (Slot s; (s = idle.poll()) != null; ) {
                if (fp.take(s)) {
                    if (!spec.mode().reusesContainers() || idle.isEmpty()) {
                        fp.requestReconcile(); // as FunctionDispatch#takeIdle
                    }
                    return s;
                }
            }
            return null;
        }

        /** The sink: {@code s} is warm, new or back from a request. */
        private void warm(Slot s) {
            boolean fresh = s.uses() == 0;
            if (fresh) {
                startLatency.recordValue(Math.max(1, (ticker.read() - s.createdNanos()) / 1000));
                byContainer.put(s.containerId(), s);
            }
            while (!waiters.isEmpty()) {
                if (!fp.take(s)) {
                    return; // retired meanwhile
                }
                Request r = waiters.poll();
                fp.waiting(waiters.size());
                if (!spec.mode().reusesContainers()) {
                    fp.requestReconcile();
                }
                if (fresh) {
                    coldOnStart++;
                }
                serve(s, r);
                return;
            }
            idle.push(s);
        }

        private void serve(Slot s, Request r) {
            r.served = true;
            Lease lease = fp.lease(s, r.waited, r.arrived);
            fp.taken(lease);
            serving.add(s);
            owner.schedule("replay", Duration.ofNanos(trace.serviceNanos()[r.index]), () -> end(lease, r));
        }

        private void end(Lease lease, Request r) {
            completed++;
            latency.recordValue(Math.max(1, (ticker.read() - r.arrived) / 1000));
            Slot s = lease.slot();
            serving.remove(s);
            if (spec.mode().reusesContainers()) {
                if (fp.finished(lease, 0)) {
                    warm(s);
                }
            } else {
                runtime.exit(s.containerId(), 0); // oneshot: the container exits with its handler
            }
        }

        private void acquireTimeout(Request r) {
            if (!r.served && waiters.remove(r)) {
                fp.waiting(waiters.size());
                timeouts++;
                latency.recordValue(spec.timeouts().acquire().toNanos() / 1000);
            }
        }

        /** Every container exit: an idle one the pool retired before its idle TTL was retired early. */
        private void exited(String id, long code) {
            Slot s = byContainer.remove(id);
            if (s != null && !serving.contains(s) && s.state() == SlotState.RETIRED
                    && !PoolPlan.expiring(spec, s.uses())
                    && ticker.read() - s.warmSinceNanos() < spec.pool().idleTtl().toNanos()) {
                retiredEarly++;
            }
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A temporary directory: best effort.
        }
    }
}
