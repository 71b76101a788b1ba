package dev.faaspool.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** The defaults of every function setting, and the built-in function served when no configuration is given. */
public final class Defaults {
    public static final int MIN = 2;
    /** {@code pool.scaling}; {@code pool.prewarm} follows it ({@link Prewarm#defaultFor}). */
    public static final Scaling SCALING = Scaling.DEMAND;
    /** Containers a demand-scaled function warms when deployed, before its first request (Knative's initial scale). */
    public static final int INITIAL = 1;
    public static final int MAX = 16;
    public static final long MEMORY = 64L << 20;
    public static final int PIDS = 64;
    public static final long TMP = 16L << 20;
    /** {@code limits.cpus}: one CPU's worth of quota per container, in thousandths of a CPU. */
    public static final long MILLI_CPUS = 1000;
    /** {@code limits.shm}: the size of {@code /dev/shm} (Docker's is 64 MiB, outside every other limit). */
    public static final long SHM = 1L << 20;
    /** {@code limits.nofile}: open descriptors per process (Docker's engine default is far higher). */
    public static final long NOFILE = 1024;
    /** {@code runtime}: the OCI runtime of the engine's default. */
    public static final String RUNTIME = "runc";
    /** nobody:nogroup; the pool makes each slot's control socket reachable for this user only. */
    public static final String USER = "65534:65534";
    public static final Duration ACQUIRE = Duration.ofSeconds(10);
    public static final Duration START = Duration.ofSeconds(10);
    public static final Duration REQUEST = Duration.ofSeconds(30);
    /** A client that connects and sends nothing for this long is answered 408; no container is touched. */
    public static final Duration FIRST_BYTE = Duration.ofSeconds(10);
    /** Connections a function holds before a handler has them: 10,000 idle clients fit. */
    public static final int CONNECTIONS = 16_384;
    /** {@code concurrency}: one connection per container at a time, as every handler can be served. */
    public static final int CONCURRENCY = 1;
    /** Requests a function lets wait for a container. */
    public static final int QUEUED = 1_024;
    public static final int MAX_USES = 1000;
    public static final Duration IDLE_TTL = Duration.ofMinutes(10);

    /** The built-in function: a static C hello handler in a {@code FROM scratch} image. */
    public static final String HELLO_NAME = "hello";
    public static final String HELLO_IMAGE = "faas-hello:latest";
    public static final InetSocketAddress HELLO_LISTEN = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8080);

    private Defaults() {}

    /** The function served when faas-pool runs without {@code --config}: a fixed pool of {@code min} warm containers. */
    public static FunctionSpec helloFunction(InetSocketAddress listen, int min) {
        return new FunctionSpec(HELLO_NAME, HELLO_IMAGE, List.of(), Map.of(), listen, HandlerMode.ONESHOT, false,
                FunctionSpec.PoolSize.fixed(min, Math.max(MAX, min), MAX_USES, IDLE_TTL),
                new FunctionSpec.Limits(MEMORY, PIDS, TMP, USER),
                new FunctionSpec.Timeouts(ACQUIRE, START, REQUEST));
    }

    /**
     * Parses {@code host:port}, {@code [v6]:port}, {@code :port} or {@code port}; the host defaults to
     * loopback and must be an address literal or a name that resolves.
     */
    public static InetSocketAddress parseListen(String text) {
        String t = text.trim();
        String host = "127.0.0.1";
        String port = t;
        int colon = t.lastIndexOf(':');
        if (colon != t.indexOf(':') && !t.startsWith("[")) {
            throw new IllegalArgumentException("'" + text + "': write an IPv6 address in brackets, for example [::1]:8080");
        }
        if (colon >= 0) {
            host = t.substring(0, colon);
            port = t.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (host.isEmpty()) {
                host = "127.0.0.1";
            }
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not host:port, for example 127.0.0.1:8080");
        }
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port must be within 1..65535 (was " + p + ")");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), p);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("host '" + host + "' does not resolve");
        }
    }

    /** {@code host:port} as a user would write it; null for null (a function without {@code listen}). */
    public static String format(InetSocketAddress a) {
        if (a == null) {
            return null;
        }
        String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
