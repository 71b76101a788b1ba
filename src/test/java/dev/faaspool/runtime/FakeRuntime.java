package dev.faaspool.runtime;

import dev.faaspool.control.ControlEndpoint;
import dev.faaspool.control.ControlMessage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import java.util.function.ObjLongConsumer;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ContainerRuntime} without a container engine, for unit tests of the pool: its containers
 * "boot" after a delay the test chooses and then do what faas-init does first, over a real Unix socket:
 * connect to the control socket the pool listens on and say {@code HELLO 2 <pid> <concurrency>}.
 *
 * <h2>Boots</h2>
 * What a container does when started is its {@link Boot}, chosen when it is created: the next of
 * {@link #planNext}'s queue, else the plan of its function ({@link #plan(String, Boot)}, by the label
 * {@link Labels#FUNCTION}), else the default ({@link #planDefault}, initially {@link Boot#hello()}).
 *
 * <h2>Time</h2>
 * {@link #start} waits out the boot's delay through the {@link Sleeper} and nothing else blocks: so a
 * virtual-time driver can park the starting thread in its sleeper, and by the time {@code start}
 * returns the hello is already in the socket (the pool's accept finds it at once). Creation times, for
 * {@link #findNeverStartedByLabel}, come from the nano ticker.
 *
 * <h2>Mirrored from Docker</h2>
 * <ul>
 *   <li>Removing a running container kills it (exit 137) and that is an exit event, as Docker's
 *       {@code die} on a forced removal; removing one that is gone is not an error.</li>
 *   <li>A start that fails leaves the container created and never started, for
 *       {@link #findNeverStartedByLabel}; starting a container twice, or one that is gone, fails.</li>
 *   <li>Names are unique among containers not removed; a missing image fails the create (nothing is
 *       pulled).</li>
 *   <li>An init that cannot reach its socket exits 1 saying why, as faas-init does.</li>
 *   <li>While the engine is {@linkplain #engineDown down}, every engine call fails, and exits are held
 *       back until it is up (the event stream re-subscribes from the last event it saw).</li>
 * </ul>
 * Not mirrored: an init does not notice that the pool closed its end (faas-init would exit 0 then); the
 * test ends it with {@link #exit}.
 *
 * <h2>Concurrency</h2>
 * Thread-safe: one lock guards all state, and is never held while sleeping, connecting or calling
 * exit listeners. Listeners are called on the thread whose call (or test action) stopped the
 * container, after the state changed; one that throws is logged, as a failing event handler would not
 * fail the engine call either.
 */
public final class FakeRuntime implements ContainerRuntime {
    /** 128 + SIGKILL: the exit code of a killed container. */
    public static final long KILLED = 137;

    private static final Logger log = LoggerFactory.getLogger(FakeRuntime.class);
    /** The variable that tells the init where its control socket is, inside the container. */
    private static final String CONTROL_SOCK_ENV = "FAAS_CONTROL_SOCK";
    /** As many output lines as DockerRuntime's diagnosis reads. */
    private static final int LOG_LINES = 10;

    /** Waits out a boot's delay; the only blocking call this runtime makes. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    /** A sleeper on the real clock. */
    public static Sleeper realTime() {
        return Thread::sleep;
    }

    /**
     * What a container does when started: after {@code delay}, one of {@link Kind}.
     *
     * @param concurrency for {@link Kind#HELLO}: what the hello announces; 0 as faas-init and the SDKs
     *                    do, {@code FAAS_CONCURRENCY} when the container has it, else 1
     * @param line        for {@link Kind#LINE}: what the init sends, verbatim, one byte a char (ISO-8859-1); a
     *                    newline only if it has one
     * @param exitCode    for {@link Kind#EXIT}
     * @param message     for {@link Kind#FAIL_CREATE} and {@link Kind#FAIL_START}: the engine's error
     * @param logs        lines the container prints as it starts; {@link FakeRuntime#inspectExit} shows the last ones
     */
    public record Boot(Kind kind, Duration delay, int concurrency, String line, long exitCode, String message,
            List<String> logs) {

        public enum Kind {
            /** Connects and says {@code HELLO <the pool's version> <pid> <concurrency>}, then waits for the test. */
            HELLO,
            /** Connects and sends {@code line} instead of a hello: an init that is broken or hostile. */
            LINE,
            /** Runs, and never connects. */
            HANG,
            /** Runs and exits with {@code exitCode} before connecting: a crashing image. */
            EXIT,
            /** The create fails; the delay does not apply. */
            FAIL_CREATE,
            /** The start fails after the delay; the container stays created, never started. */
            FAIL_START
        }

        public Boot {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(delay, "delay");
            Objects.requireNonNull(line, "line");
            Objects.requireNonNull(message, "message");
            if (delay.isNegative()) {
                throw new IllegalArgumentException("delay must be >= 0, not " + delay);
            }
            if (concurrency < 0) {
                throw new IllegalArgumentException("concurrency must be >= 0 (0: as the init would say), not " + concurrency);
            }
            logs = List.copyOf(logs);
        }

        /** Says hello at once, with the concurrency faas-init would announce. */
        public static Boot hello() {
            return new Boot(Kind.HELLO, Duration.ZERO, 0, "", -1, "", List.of());
        }

        /** Says hello announcing {@code concurrency} (at least 1; a bad hello is {@link #line}). */
        public static Boot hello(int concurrency) {
            if (concurrency < 1) {
                throw new IllegalArgumentException("concurrency must be >= 1, not " + concurrency + "; send a bad"
                        + " hello with Boot.line");
            }
            return new Boot(Kind.HELLO, Duration.ZERO, concurrency, "", -1, "", List.of());
        }

        public static Boot line(String line) {
            return new Boot(Kind.LINE, Duration.ZERO, 0, line, -1, "", List.of());
        }

        public static Boot hang() {
            return new Boot(Kind.HANG, Duration.ZERO, 0, "", -1, "", List.of());
        }

        public static Boot exitBeforeHello(long exitCode) {
            return new Boot(Kind.EXIT, Duration.ZERO, 0, "", exitCode, "", List.of());
        }

        public static Boot failCreate(String message) {
            return new Boot(Kind.FAIL_CREATE, Duration.ZERO, 0, "", -1, message, List.of());
        }

        public static Boot failStart(String message) {
            return new Boot(Kind.FAIL_START, Duration.ZERO, 0, "", -1, message, List.of());
        }

        /** This boot, taking {@code delay} from the start call to what it does. */
        public Boot after(Duration delay) {
            return new Boot(kind, delay, concurrency, line, exitCode, message, logs);
        }

        /** This boot, printing {@code lines} as the container starts. */
        public Boot printing(String... lines) {
            return new Boot(kind, delay, concurrency, line, exitCode, message, List.of(lines));
        }
    }

    private enum State { CREATED, RUNNING, EXITED }

    /** One container; its mutable fields are guarded by the runtime's lock. */
    private static final class Container {
        final String id;
        final ContainerSpec spec;
        final Boot boot;
        final long createdNanos;
        final long pid;
        State state = State.CREATED;
        boolean starting;
        boolean removed;
        long exitCode = -1;
        boolean oomKilled;
        AFUNIXSocket init;
        final List<String> logs = new ArrayList<>();

        Container(String id, ContainerSpec spec, Boot boot, long createdNanos, long pid) {
            this.id = id;
            this.spec = spec;
            this.boot = boot;
            this.createdNanos = createdNanos;
            this.pid = pid;
        }
    }

    private record Exit(String id, Map<String, String> labels, long code) {}

    private record Watch(String key, String value, ObjLongConsumer<String> onExit) {}

    private final Sleeper sleeper;
    private final LongSupplier ticker;
    private final Object lock = new Object();
    private final Map<String, Container> containers = new LinkedHashMap<>(); // in creation order
    /** Those not removed, in creation order: what the engine lists (a replay creates thousands). */
    private final Map<String, Container> live = new LinkedHashMap<>();
    private final List<String> removedIds = new ArrayList<>();
    private final ArrayDeque<Boot> next = new ArrayDeque<>();
    private final Map<String, Boot> byFunction = new HashMap<>();
    private Boot defaultBoot = Boot.hello();
    private final Set<String> missingImages = new HashSet<>();
    /** Networks the engine has besides none; like Docker's, bridge from the start. */
    private final Set<String> networks = new HashSet<>(Set.of("bridge"));
    /** Image references retagged by the test, to the ID each points at now; others point at {@link #defaultId}. */
    private final Map<String, String> tags = new HashMap<>();
    /** Every ID any reference pointed at: creating from an ID works while the image exists, as in Docker. */
    private final Set<String> knownIds = new HashSet<>();
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private boolean down;
    private int failNext;
    /** Exits while the engine was down, delivered when it is up again. */
    private final List<Exit> held = new ArrayList<>();

    /** A runtime whose creation times come from {@link System#nanoTime()}. */
    public FakeRuntime(Sleeper sleeper) {
        this(sleeper, System::nanoTime);
    }

    /** @param ticker nanoseconds, like {@link System#nanoTime()}: when containers were created */
    public FakeRuntime(Sleeper sleeper, LongSupplier ticker) {
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
    }

    // ---- the test's plan ----

    /** The boots of the next containers created, whatever their function, one each, in order. */
    public void planNext(Boot... boots) {
        synchronized (lock) {
            next.addAll(List.of(boots));
        }
    }

    /** The boot of every container of {@code function} (label {@link Labels#FUNCTION}) not covered by {@link #planNext}. */
    public void plan(String function, Boot boot) {
        Objects.requireNonNull(boot, "boot");
        synchronized (lock) {
            byFunction.put(function, boot);
        }
    }

    /** The boot of containers no other plan covers. */
    public void planDefault(Boot boot) {
        Objects.requireNonNull(boot, "boot");
        synchronized (lock) {
            defaultBoot = boot;
        }
    }

    /** From now on {@code image} does not exist: {@link #imageExists} says so and creates from it fail. */
    public void imageMissing(String image) {
        synchronized (lock) {
            missingImages.add(image);
        }
    }

    /** From now on the engine has a network {@code name}: {@link #networkExists} says so. */
    public void addNetwork(String name) {
        synchronized (lock) {
            networks.add(name);
        }
    }

    /**
     * From now on {@code image} points at the image {@code id} (a rebuild, {@code docker tag}); the image
     * it pointed at before still exists, and containers may still be created from its ID.
     */
    public void tag(String image, String id) {
        synchronized (lock) {
            knownIds.add(imageIdLocked(image));
            tags.put(image, id);
            knownIds.add(id);
        }
    }

    /** The ID {@code image} points at now. */
    public String imageId(String image) {
        synchronized (lock) {
            return imageIdLocked(image);
        }
    }

    /** The ID of the image the container {@code containerId} was created from. */
    public String imageIdOf(String containerId) {
        synchronized (lock) {
            return resolveLocked(known(containerId).spec.image());
        }
    }

    private String imageIdLocked(String image) {
        return tags.getOrDefault(image, defaultId(image));
    }

    /** A reference's own ID, or an ID as it is. */
    private String resolveLocked(String imageOrId) {
        return imageOrId.startsWith("sha256:") ? imageOrId : imageIdLocked(imageOrId);
    }

    /** A missing reference, or an ID no existing reference points at and no retag made. */
    private boolean missingLocked(String imageOrId) {
        if (!imageOrId.startsWith("sha256:")) {
            return missingImages.contains(imageOrId);
        }
        for (String m : missingImages) {
            if (imageIdLocked(m).equals(imageOrId)) {
                return true;
            }
        }
        return !imageOrId.startsWith("sha256:fake-") && !knownIds.contains(imageOrId);
    }

    private static String defaultId(String image) {
        return "sha256:fake-" + image;
    }

    /**
     * While down, every engine call fails with a {@link ContainerRuntimeException} (a start already
     * past that check completes), and exits are held back; going up delivers them.
     */
    public void engineDown(boolean isDown) {
        List<Exit> flush;
        synchronized (lock) {
            down = isDown;
            if (isDown) {
                return;
            }
            flush = new ArrayList<>(held);
            held.clear();
        }
        flush.forEach(this::deliver);
    }

    /** The next {@code n} engine calls fail, as a flaky engine's would; exits are not held back. */
    public void failNext(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, not " + n);
        }
        synchronized (lock) {
            failNext = n;
        }
    }

    // ---- what happens to running containers ----

    /** The container is killed (SIGKILL, exit {@value #KILLED}). */
    public void kill(String id) {
        exit(id, KILLED);
    }

    /** The container's init exits with {@code code}: its socket closes and exit listeners hear of it. */
    public void exit(String id, long code) {
        stopRunning(id, code, false);
    }

    /** The kernel's OOM killer ends the container: exit {@value #KILLED}, OOM-killed. */
    public void oom(String id) {
        stopRunning(id, KILLED, true);
    }

    /** The container prints {@code lines}. */
    public void log(String id, String... lines) {
        synchronized (lock) {
            known(id).logs.addAll(List.of(lines));
        }
    }

    /**
     * The init's end of the control connection: read what the pool sends, write what an init would
     * ({@code ACK}, {@code RUN}, {@code DONE}). It can receive descriptors. Closed when the container stops.
     *
     * @throws IllegalStateException when the container's init never connected
     */
    public AFUNIXSocket init(String id) {
        synchronized (lock) {
            Container c = known(id);
            if (c.init == null) {
                throw new IllegalStateException("container " + id + " has no init connection (" + c.state
                        + ", boot " + c.boot.kind() + ")");
            }
            return c.init;
        }
    }

    // ---- queries ----

    /** Ids of running containers, in creation order. */
    public List<String> running() {
        synchronized (lock) {
            return live.values().stream().filter(c -> c.state == State.RUNNING)
                    .map(c -> c.id).toList();
        }
    }

    /** Ids of removed containers, in the order of their removal. */
    public List<String> removed() {
        synchronized (lock) {
            return List.copyOf(removedIds);
        }
    }

    /** How many containers were created; refused creates do not count. */
    public int created() {
        synchronized (lock) {
            return containers.size();
        }
    }

    /** The spec container {@code id} was created from, removed or not. */
    public ContainerSpec spec(String id) {
        synchronized (lock) {
            return known(id).spec;
        }
    }

    /** The pid its init says hello with: the container's creation number, 1, 2, ... */
    public long pid(String id) {
        synchronized (lock) {
            return known(id).pid;
        }
    }

    // ---- ContainerRuntime ----

    @Override
    public String create(ContainerSpec spec) {
        Objects.requireNonNull(spec, "spec");
        synchronized (lock) {
            String what = "create container " + spec.name() + " from " + spec.image();
            engineCall(what);
            if (missingLocked(spec.image())) {
                throw new ContainerRuntimeException(what + ": No such image: " + spec.image(), null);
            }
            if (!spec.network().equals("none") && !networks.contains(spec.network())) {
                throw new ContainerRuntimeException(what + ": network " + spec.network() + " not found", null);
            }
            for (Container c : live.values()) {
                if (c.spec.name().equals(spec.name())) {
                    throw new ContainerRuntimeException(what + ": Conflict. The container name \"/" + spec.name()
                            + "\" is already in use by container " + c.id, null);
                }
            }
            Boot boot = next.isEmpty()
                    ? byFunction.getOrDefault(spec.labels().get(Labels.FUNCTION), defaultBoot)
                    : next.poll();
            if (boot.kind() == Boot.Kind.FAIL_CREATE) {
                throw new ContainerRuntimeException(what + ": " + boot.message(), null);
            }
            long n = containers.size() + 1;
            String id = "fake-" + n;
            Container c = new Container(id, spec, boot, ticker.getAsLong(), n);
            containers.put(id, c);
            live.put(id, c);
            return id;
        }
    }

    /**
     * Sleeps the boot's delay, then does what the boot says; for a hello, the line is in the socket
     * when this returns. Removing the container meanwhile makes this fail.
     */
    @Override
    public void start(String id) {
        Container c;
        synchronized (lock) {
            engineCall("start container " + id);
            c = existing(id, "start container");
            if (c.state != State.CREATED || c.starting) {
                throw new ContainerRuntimeException("start container " + id + ": already started ("
                        + (c.starting ? "starting" : c.state) + ")", null);
            }
            c.starting = true;
        }
        Boot boot = c.boot;
        try {
            sleeper.sleep(boot.delay());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            synchronized (lock) {
                c.starting = false;
            }
            throw new ContainerRuntimeException("start container " + id + ": interrupted", e);
        }
        Exit exit = null;
        synchronized (lock) {
            c.starting = false;
            if (c.removed) {
                throw new ContainerRuntimeException("start container " + id + ": No such container (removed while"
                        + " starting)", null);
            }
            if (boot.kind() == Boot.Kind.FAIL_START) {
                throw new ContainerRuntimeException("start container " + id + ": " + boot.message(), null);
            }
            c.state = State.RUNNING;
            c.logs.addAll(boot.logs());
            if (boot.kind() == Boot.Kind.EXIT) {
                exit = stop(c, boot.exitCode(), false);
            }
        }
        deliver(exit);
        switch (boot.kind()) {
            // The pool's own version: an init of another one is a Boot.line.
            case HELLO -> connect(c, "HELLO " + ControlMessage.VERSION + " " + c.pid + " " + concurrency(c) + "\n",
                    "send HELLO");
            case LINE -> connect(c, boot.line(), "send");
            default -> { } // HANG: runs and says nothing; EXIT: already stopped
        }
    }

    @Override
    public void remove(String id) {
        Exit exit;
        synchronized (lock) {
            engineCall("remove container " + id);
            Container c = containers.get(id);
            if (c == null || c.removed) {
                return; // gone: what the caller wanted
            }
            // Forced removal kills a running container, and Docker reports that as its death.
            exit = c.state == State.RUNNING ? stop(c, KILLED, false) : null;
            c.removed = true;
            live.remove(id);
            removedIds.add(id);
        }
        deliver(exit);
    }

    @Override
    public ContainerExit inspectExit(String id) {
        synchronized (lock) {
            engineCall("inspect container " + id);
            Container c = existing(id, "inspect container");
            List<String> logs = c.logs.subList(Math.max(0, c.logs.size() - LOG_LINES), c.logs.size());
            // A container that has not stopped (running, or never started) has no exit code yet.
            return new ContainerExit(c.state == State.EXITED ? c.exitCode : -1, c.oomKilled, logs);
        }
    }

    @Override
    public List<String> findByLabel(String key, String value) {
        synchronized (lock) {
            engineCall("list containers labelled " + key + "=" + value);
            return find(key, value, c -> true);
        }
    }

    @Override
    public List<String> findExitedByLabel(String key, String value) {
        synchronized (lock) {
            engineCall("list exited containers labelled " + key + "=" + value);
            return find(key, value, c -> c.state == State.EXITED);
        }
    }

    @Override
    public List<String> findNeverStartedByLabel(String key, String value, Duration age) {
        synchronized (lock) {
            engineCall("list created containers labelled " + key + "=" + value);
            long now = ticker.getAsLong();
            // A start under way is still "created", as in Docker; the age is what tells it from an abandoned one.
            return find(key, value, c -> c.state == State.CREATED && now - c.createdNanos >= age.toNanos());
        }
    }

    @Override
    public AutoCloseable watchExits(String key, String value, ObjLongConsumer<String> onExit) {
        // Never fails, like DockerRuntime's, whose stream re-subscribes in the background.
        Watch w = new Watch(key, value, Objects.requireNonNull(onExit, "onExit"));
        watches.add(w);
        return () -> watches.remove(w);
    }

    @Override
    public boolean imageExists(String image) {
        synchronized (lock) {
            engineCall("inspect image " + image);
            return !missingImages.contains(image);
        }
    }

    @Override
    public boolean networkExists(String name) {
        synchronized (lock) {
            engineCall("inspect network " + name);
            return name.equals("none") || networks.contains(name);
        }
    }

    @Override
    public ImageInfo inspectImage(String image) {
        synchronized (lock) {
            engineCall("inspect image " + image);
            if (missingLocked(image)) {
                return null;
            }
            return new ImageInfo(resolveLocked(image), List.of("/faas-init"), "", 1_000_000);
        }
    }

    /**
     * Releases what the test holds: closes every init socket and forgets the exit listeners. The
     * containers' states stay as they were (an engine outlives its client).
     */
    @Override
    public void close() {
        List<AFUNIXSocket> sockets = new ArrayList<>();
        synchronized (lock) {
            for (Container c : containers.values()) {
                if (c.init != null) {
                    sockets.add(c.init);
                }
            }
        }
        sockets.forEach(FakeRuntime::closeQuietly);
        watches.clear();
    }

    // ---- internals ----

    /** Throws when the engine is down or a planned failure is due. Under the lock. */
    private void engineCall(String what) {
        if (down) {
            throw new ContainerRuntimeException(what + ": Cannot connect to the Docker daemon (FakeRuntime.engineDown)",
                    null);
        }
        if (failNext > 0) {
            failNext--;
            throw new ContainerRuntimeException(what + ": engine error (FakeRuntime.failNext)", null);
        }
    }

    /** The container, removed or not; a test asking for one that never existed is a bug in the test. */
    private Container known(String id) {
        Container c = containers.get(id);
        if (c == null) {
            throw new IllegalArgumentException("no container " + id + " was created");
        }
        return c;
    }

    /** The container as the engine sees it: it fails for one removed or never created. */
    private Container existing(String id, String what) {
        Container c = containers.get(id);
        if (c == null || c.removed) {
            throw new ContainerRuntimeException(what + " " + id + ": No such container: " + id, null);
        }
        return c;
    }

    private List<String> find(String key, String value, java.util.function.Predicate<Container> also) {
        return live.values().stream()
                .filter(c -> value.equals(c.spec.labels().get(key)) && also.test(c))
                .map(c -> c.id).toList();
    }

    private void stopRunning(String id, long code, boolean oomKilled) {
        Exit exit;
        synchronized (lock) {
            Container c = known(id);
            if (c.removed || c.state != State.RUNNING) {
                throw new IllegalStateException("container " + id + " is not running (" + (c.removed ? "removed" : c.state)
                        + ")");
            }
            exit = stop(c, code, oomKilled);
        }
        deliver(exit);
    }

    /**
     * Under the lock: the container stops; its init's end closes, as the process's descriptors would.
     * Returns the exit to deliver once the lock is released, or null when it is held back.
     */
    private Exit stop(Container c, long code, boolean oomKilled) {
        c.state = State.EXITED;
        c.exitCode = code;
        c.oomKilled = oomKilled;
        if (c.init != null) {
            closeQuietly(c.init);
        }
        Exit exit = new Exit(c.id, c.spec.labels(), code);
        if (down) {
            held.add(exit);
            return null;
        }
        return exit;
    }

    private void deliver(Exit exit) {
        if (exit == null) {
            return;
        }
        for (Watch w : watches) {
            if (w.value().equals(exit.labels().get(w.key()))) {
                try {
                    w.onExit().accept(exit.id(), exit.code());
                } catch (RuntimeException e) {
                    log.warn("exit listener failed on {} (exit {}): {}", exit.id(), exit.code(), e.toString());
                }
            }
        }
    }

    /** The concurrency faas-init or an SDK would announce: the boot's, else {@code FAAS_CONCURRENCY}, else 1. */
    private static int concurrency(Container c) {
        if (c.boot.concurrency() > 0) {
            return c.boot.concurrency();
        }
        String env = c.spec.env().get("FAAS_CONCURRENCY");
        return env == null ? 1 : Integer.parseInt(env.strip());
    }

    /**
     * Where the init's socket is on the host: {@code FAAS_CONTROL_SOCK} seen through the control mount,
     * or, when the spec does not set it (a hand-built one), the endpoint's socket in the control directory.
     * A path outside the mount does not exist for the container: null.
     */
    private static Path hostSocket(ContainerSpec spec) {
        String inside = spec.env().get(CONTROL_SOCK_ENV);
        if (inside == null || inside.isEmpty()) {
            return spec.controlDir().resolve(ControlEndpoint.SOCKET_NAME);
        }
        String mount = spec.controlMount().endsWith("/") ? spec.controlMount() : spec.controlMount() + "/";
        if (!inside.startsWith(mount) || inside.length() == mount.length()) {
            return null;
        }
        return spec.controlDir().resolve(inside.substring(mount.length()));
    }

    /**
     * The init connects and sends {@code line}. When it cannot, it exits 1 saying why (faas-init's
     * {@code EXIT_CONTROL}); when the container stopped meanwhile, its new end is closed at once.
     */
    private void connect(Container c, String line, String sending) {
        Path path = hostSocket(c.spec);
        AFUNIXSocket s = null;
        String doing = "connect to " + (path != null ? path : c.spec.env().get(CONTROL_SOCK_ENV));
        try {
            if (path == null) {
                throw new IOException("No such file or directory (outside the control mount " + c.spec.controlMount() + ")");
            }
            s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path));
            s.setAncillaryReceiveBufferSize(1024); // so the test can receive the descriptors the pool sends
            doing = sending;
            OutputStream out = s.getOutputStream();
            out.write(line.getBytes(StandardCharsets.ISO_8859_1)); // one byte a char: a hostile line can hold any byte
            out.flush();
        } catch (IOException e) {
            closeQuietly(s);
            Exit exit = null;
            synchronized (lock) {
                if (!c.removed && c.state == State.RUNNING) {
                    c.logs.add("faas-init: " + doing + ": " + e.getMessage());
                    exit = stop(c, 1, false);
                }
            }
            deliver(exit);
            return;
        }
        synchronized (lock) {
            if (!c.removed && c.state == State.RUNNING) {
                c.init = s;
                return;
            }
        }
        closeQuietly(s); // stopped while connecting: the process's end goes with it
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // A socket closing on the way out; nothing to do about a failure.
        }
    }
}
