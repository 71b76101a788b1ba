package dev.faaspool.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@link FunctionSpec}s for tests, set as a function entry of a configuration file sets them: a setting not
 * given takes the default {@link ConfigLoader} gives an entry without it, the defaults that follow another
 * setting included ({@code max} is at least {@code min}; {@code prewarm} and {@code initial} follow
 * {@code scaling}; {@code queued} is at most {@code connections}; the sandbox is the mode's). Where the loader
 * requires a value, the image, a spec gets {@value #IMAGE}; the listen address, optional in the loader, is
 * 127.0.0.1:8080 unless {@code listen(null)} says none.
 * ConfigLoaderTest holds the builder's defaults to the loader's.
 *
 * <p>{@code Specs.function("f").mode(HandlerMode.FORK).min(1).max(4).build()} is what the loader makes of
 * <pre>{@code
 * functions:
 *   f:
 *     image: img
 *     listen: 127.0.0.1:8080
 *     mode: fork
 *     pool: { min: 1, max: 4 }
 * }</pre>
 */
public final class Specs {
    /** The image of a spec that names none. */
    public static final String IMAGE = "img";

    private final String name;
    private String image = IMAGE;
    private List<String> command = List.of();
    private Map<String, String> env = Map.of();
    private InetSocketAddress listen = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);
    private HandlerMode mode = HandlerMode.ONESHOT;
    private boolean stdio;
    private int concurrency = Defaults.CONCURRENCY;
    private int min = Defaults.MIN;
    /** Null: {@code max(Defaults.MAX, min)}, as the loader. */
    private Integer max;
    private int maxUses = Defaults.MAX_USES;
    private Duration idleTtl = Defaults.IDLE_TTL;
    private List<Schedule> schedules = List.of();
    private Scaling scaling = Defaults.SCALING;
    /** Null: {@link Prewarm#defaultFor} the scaling, as the loader. */
    private Prewarm prewarm;
    private long memory = Defaults.MEMORY;
    private long pids = Defaults.PIDS;
    private long tmp = Defaults.TMP;
    private String user = Defaults.USER;
    private Duration acquire = Defaults.ACQUIRE;
    private Duration start = Defaults.START;
    private Duration request = Defaults.REQUEST;
    private Duration firstByte = Defaults.FIRST_BYTE;
    private int connections = Defaults.CONNECTIONS;
    /** Null: {@code min(Defaults.QUEUED, connections)}, as the loader. */
    private Integer queued;
    private Map<String, String> secretEnv = Map.of();
    private String network = Bounds.NO_NETWORK;
    private List<String> hosts = List.of();

    private Specs(String name) {
        this.name = name;
    }

    /** A function named {@code name} with every setting at its default. */
    public static Specs function(String name) {
        return new Specs(name);
    }

    public Specs image(String image) {
        this.image = image;
        return this;
    }

    public Specs command(List<String> command) {
        this.command = command;
        return this;
    }

    public Specs env(Map<String, String> env) {
        this.env = env;
        return this;
    }

    public Specs listen(InetSocketAddress listen) {
        this.listen = listen;
        return this;
    }

    public Specs mode(HandlerMode mode) {
        this.mode = mode;
        return this;
    }

    public Specs stdio(boolean stdio) {
        this.stdio = stdio;
        return this;
    }

    public Specs concurrency(int concurrency) {
        this.concurrency = concurrency;
        return this;
    }

    /** {@code pool.min}. */
    public Specs min(int min) {
        this.min = min;
        return this;
    }

    /** {@code pool.max}. */
    public Specs max(int max) {
        this.max = max;
        return this;
    }

    /** {@code pool.max-uses}. */
    public Specs maxUses(int maxUses) {
        this.maxUses = maxUses;
        return this;
    }

    /** {@code pool.idle-ttl}. */
    public Specs idleTtl(Duration idleTtl) {
        this.idleTtl = idleTtl;
        return this;
    }

    /** {@code pool.schedules}. */
    public Specs schedules(List<Schedule> schedules) {
        this.schedules = schedules;
        return this;
    }

    /** {@code pool.scaling}. */
    public Specs scaling(Scaling scaling) {
        this.scaling = scaling;
        return this;
    }

    /** {@code pool.prewarm}. */
    public Specs prewarm(Prewarm prewarm) {
        this.prewarm = prewarm;
        return this;
    }

    /** {@code limits.memory}, in bytes. */
    public Specs memory(long bytes) {
        this.memory = bytes;
        return this;
    }

    /** {@code limits.pids}. */
    public Specs pids(long pids) {
        this.pids = pids;
        return this;
    }

    /** {@code limits.tmp}, in bytes. */
    public Specs tmp(long bytes) {
        this.tmp = bytes;
        return this;
    }

    /** {@code limits.user}. */
    public Specs user(String user) {
        this.user = user;
        return this;
    }

    /** {@code timeouts.acquire}. */
    public Specs acquire(Duration acquire) {
        this.acquire = acquire;
        return this;
    }

    /** {@code timeouts.start}. */
    public Specs start(Duration start) {
        this.start = start;
        return this;
    }

    /** {@code timeouts.request}. */
    public Specs request(Duration request) {
        this.request = request;
        return this;
    }

    /** {@code timeouts.first-byte}. */
    public Specs firstByte(Duration firstByte) {
        this.firstByte = firstByte;
        return this;
    }

    /** {@code admission.connections}. */
    public Specs connections(int connections) {
        this.connections = connections;
        return this;
    }

    /** {@code admission.queued}. */
    public Specs queued(int queued) {
        this.queued = queued;
        return this;
    }

    /** The variables of {@code env-file}. */
    public Specs secretEnv(Map<String, String> secretEnv) {
        this.secretEnv = secretEnv;
        return this;
    }

    /** {@code network}. */
    public Specs network(String network) {
        this.network = network;
        return this;
    }

    /** {@code hosts}. */
    public Specs hosts(List<String> hosts) {
        this.hosts = hosts;
        return this;
    }

    /** The spec; the records' constructors reject a value beyond its bounds, as they do for the loader. */
    public FunctionSpec build() {
        int max = this.max != null ? this.max : Math.max(Defaults.MAX, min);
        FunctionSpec.PoolSize pool = new FunctionSpec.PoolSize(min, max, maxUses, idleTtl, schedules, scaling,
                prewarm != null ? prewarm : Prewarm.defaultFor(scaling),
                scaling == Scaling.DEMAND ? Math.min(Defaults.INITIAL, max) : 0);
        FunctionSpec.Limits limits = new FunctionSpec.Limits(memory, pids, tmp, user);
        FunctionSpec.Timeouts timeouts = new FunctionSpec.Timeouts(acquire, start, request, firstByte);
        FunctionSpec.Admission admission = new FunctionSpec.Admission(connections,
                queued != null ? queued : Math.min(Defaults.QUEUED, connections));
        return new FunctionSpec(name, image, command, env, listen, mode, stdio, pool, limits, timeouts, admission,
                concurrency, FunctionSpec.Sandbox.defaultFor(mode), new FunctionSpec.SecretEnv(secretEnv), network,
                hosts);
    }
}
