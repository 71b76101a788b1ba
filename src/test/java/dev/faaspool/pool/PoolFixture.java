package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.control.ControlConnection;
import dev.faaspool.control.ControlEndpoint;
import dev.faaspool.metrics.FunctionLatency;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A function's pool without Docker, for the dispatcher's tests: slots whose "init" is a Unix socket
 * the test holds (it receives descriptors and says what the test makes it say), and an owner that
 * retires at once, as if the container were removed at once.
 */
public final class PoolFixture implements AutoCloseable {
    private final List<AutoCloseable> opened = new CopyOnWriteArrayList<>();
    private final AtomicInteger seq = new AtomicInteger();
    public final Owner owner = new Owner();
    private final Path dir;

    public PoolFixture(Path dir) {
        this.dir = dir;
    }

    /** The retirements the pool asked for, and the ends of requests it applied. */
    public static final class Owner implements SlotOwner {
        public final AtomicInteger reconciles = new AtomicInteger();
        public final List<String> retired = new CopyOnWriteArrayList<>();
        public final List<HandlerExit> ends = new CopyOnWriteArrayList<>();

        @Override
        public void requestReconcile() {
            reconciles.incrementAndGet();
        }

        @Override
        public void retire(FunctionPool fp, Slot s, String reason, HandlerExit end, Runnable removed) {
            SlotState was = s.retire();
            if (was != SlotState.RETIRED) {
                retired.add(s.id() + ": " + reason);
                fp.slots().remove(s.id());
            }
            s.closeControl(); // as the container's removal would: its init sees EOF
            HandlerExit how = end != null ? end : HandlerExit.lost(reason != null ? reason : "removed");
            s.markRemoved();
            for (Request r : s.running()) {
                fp.claim(r, how, System.nanoTime());
                ends.add(r.claimed());
            }
            fp.endRunning(s, how, null);
            if (removed != null) {
                removed.run();
            }
        }
    }

    public FunctionPool pool(FunctionSpec spec) {
        return new FunctionPool(spec, owner, new FunctionLatency(spec.name()));
    }

    /** A slot whose init (the returned socket) said hello; it goes to the pool's dispatcher as warm. */
    public AFUNIXSocket warmSlot(FunctionPool pool) throws IOException {
        return warmSlot(pool, 1);
    }

    /** A warm slot whose init said it serves up to {@code capacity} connections at once. */
    public AFUNIXSocket warmSlot(FunctionPool pool, int capacity) throws IOException {
        return warmSlot(pool, capacity, false);
    }

    /** A warm slot whose init said it serves up to {@code capacity} at once, and {@code trace} if {@code takesTrace}. */
    public AFUNIXSocket warmSlot(FunctionPool pool, int capacity, boolean takesTrace) throws IOException {
        Slot s = new Slot(pool.spec().name() + "-" + seq.incrementAndGet(), pool.spec().name(), System.nanoTime());
        s.capacity(capacity);
        s.takesTrace(takesTrace);
        Path d = dir.resolve(s.id());
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        int gid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        ControlEndpoint endpoint = ControlEndpoint.open(d, uid, gid);
        opened.add(endpoint);
        s.endpoint(endpoint);
        AFUNIXSocket init = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(d.resolve(ControlEndpoint.SOCKET_NAME)));
        init.setAncillaryReceiveBufferSize(1024);
        opened.add(init);
        ControlConnection control = endpoint.accept(Duration.ofSeconds(5));
        opened.add(control);
        s.control(control);
        if (!s.transition(SlotState.STARTING, SlotState.WARM)) {
            throw new IllegalStateException("not starting");
        }
        pool.slots().put(s.id(), s);
        pool.offerWarm(s);
        return init;
    }

    /** The slot of {@code pool} with id {@code id}, or null once it is gone. */
    public static Slot slot(FunctionPool pool, String id) {
        return pool.slots().get(id);
    }

    public static int count(FunctionPool pool, SlotState state) {
        return pool.count(state);
    }

    @Override
    public void close() {
        for (AutoCloseable c : opened) {
            try {
                c.close();
            } catch (Exception ignored) {
                // Best effort.
            }
        }
    }
}
