package dev.faaspool.cli;

import dev.faaspool.admin.AdminAccess;
import dev.faaspool.admin.TokenFile;
import dev.faaspool.config.Bounds;
import dev.faaspool.config.ConfigException;
import dev.faaspool.config.ConfigLoader;
import dev.faaspool.config.Defaults;
import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.PoolConfig;
import dev.faaspool.config.Units;
import dev.faaspool.log.LogFormat;
import dev.faaspool.log.LogSettings;
import dev.faaspool.log.LogSetup;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code java -jar faas-pool.jar}: runs the pool until SIGINT or SIGTERM. */
@Command(name = "faas-pool", mixinStandardHelpOptions = true, version = "faas-pool 0.1.0",
        sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Keeps pre-started function containers blocked in recvmsg on a Unix control socket and hands each "
                    + "accepted TCP connection to one of them with SCM_RIGHTS.",
            "",
            "Without --config, serves the built-in hello function (image " + Defaults.HELLO_IMAGE + ") as a fixed "
                    + "pool of --pool-size warm containers. 'faas-pool report LOG' reads a latency log back "
                    + "(see 'faas-pool report --help').",
            "",
            "Stops on SIGINT or SIGTERM: stops accepting, lets running requests finish, removes every container "
                    + "and socket it made, and prints the latency summary. SIGHUP reloads --config (as an edit does)."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:stopped by a signal after a clean shutdown",
            "1:could not start (Docker, an image, a port)",
            "2:invalid command line or configuration"
        })
public final class Main implements Callable<Integer> {
    static final int EXIT_START = 1;
    static final int EXIT_CONFIG = 2;

    @Option(names = "--config", paramLabel = "DIR|FILE",
            description = "A pool-config YAML file, or a directory of them (*.yaml, *.yml). Edits apply while running.")
    Path config;

    @Option(names = "--pool-size", paramLabel = "N",
            description = "Warm containers kept at least (min), 0..10000, for the built-in function; with --config, "
                    + "for every function.")
    Integer poolSize;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Where the built-in function listens (default: 127.0.0.1:8080). Not with --config.")
    String listen;

    @Option(names = "--http", paramLabel = "HOST:PORT",
            description = "The HTTP front listener: one address for every function, routed by the path /function/<name> "
                    + "or by Host (a function's hosts:), without reading the request. Overrides http: in pool-config.")
    String http;

    @Option(names = "--admin", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9180",
            description = "Address of /metrics, /status, /healthz and /readyz (default: ${DEFAULT-VALUE}). "
                    + "Beyond loopback only with --admin-token-file.")
    String admin;

    @Option(names = "--agent", paramLabel = "HOST:PORT",
            description = "Answers HAProxy's agent-check here: 'up ready N%' (N: the free warm capacity), 'drain' "
                    + "once shutdown begins, 'down' when no function can take a request. Off by default.")
    String agent;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            description = "A file (mode 600) holding a bearer token that /metrics and /status then require "
                    + "(Authorization: Bearer TOKEN); needed for a non-loopback --admin.")
    Path adminTokenFile;

    @Option(names = "--instance", paramLabel = "NAME", defaultValue = "default",
            description = "Name of this pool. Its containers are labelled with it, and leftovers of an earlier run "
                    + "with the same name are removed at start (default: ${DEFAULT-VALUE}).")
    String instance;

    @Option(names = "--run-dir", paramLabel = "DIR", defaultValue = "/run/faas-pool",
            description = "Where the control sockets live, one directory per instance (default: ${DEFAULT-VALUE}).")
    Path runDir;

    @Option(names = "--reports", paramLabel = "DIR", defaultValue = "reports",
            description = "Where the latency log (HdrHistogram) and its summary go (default: ${DEFAULT-VALUE}).")
    Path reports;

    @Option(names = "--report-interval", paramLabel = "DURATION", defaultValue = "5s",
            description = "Length of one interval in the latency log, 1ms..1h (default: ${DEFAULT-VALUE}).")
    String reportInterval;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "How long shutdown waits for running requests, at most 10m (default: ${DEFAULT-VALUE}).")
    String drainTimeout;

    @Option(names = "--drain-delay", paramLabel = "DURATION", defaultValue = "0s",
            description = "On SIGTERM/SIGINT, first report draining (agent-check drain, /readyz 503) for this long "
                    + "while still serving, so a load balancer stops sending; then stop as usual. At most 10m "
                    + "(default: ${DEFAULT-VALUE}).")
    String drainDelay;

    @Option(names = "--otlp-endpoint", paramLabel = "URL",
            description = "Exports a span per request (accepted, queued, handed off, ACK, run, its end) by OTLP/HTTP "
                    + "to this traces endpoint, e.g. http://localhost:4318/v1/traces (a URL without a path gets "
                    + "/v1/traces). Off by default. Handlers get the span's trace context either way (TRACEPARENT).")
    String otlpEndpoint;

    @Option(names = "--trace-sample", paramLabel = "RATIO", defaultValue = "1",
            description = "With --otlp-endpoint: the share of traces starting here that are recorded, 0..1, by trace id; "
                    + "a request whose traceparent says sampled is recorded whatever this says (default: ${DEFAULT-VALUE}).")
    double traceSample;

    @Option(names = "--start-concurrency", paramLabel = "N", defaultValue = "4",
            description = "Containers created and started at once, 1..64 (default: ${DEFAULT-VALUE}).")
    int startConcurrency;

    @Option(names = "--docker-host", paramLabel = "URI",
            description = "Docker Engine address (default: $DOCKER_HOST, else unix:///var/run/docker.sock).")
    String dockerHost;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "Least severe message of faas-pool's own log written: trace, debug, info, warn or error "
                    + "(default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text or json, for faas-pool's own log (standard error) and the request log. json: one "
                    + "JSON object per line, and the startup and status lines go to the log too (default: "
                    + "${DEFAULT-VALUE}).")
    String logFormat;

    @Option(names = "--request-log", paramLabel = "FILE|-",
            description = "Writes one line per request (function, client, slot, warm/cold, dispatch and service "
                    + "time, outcome) to FILE (appended to) or, with -, to standard output. Off by default.")
    Path requestLog;

    @Option(names = "--logs", paramLabel = "DIR", defaultValue = "logs",
            description = "Where each function's output goes, <function>.log, rotated at 10 MiB, 5 files "
                    + "(default: ${DEFAULT-VALUE}). 'faas-pool logs FUNCTION' prints it.")
    Path logs;

    @Option(names = "--log-handlers",
            description = "Also print every line a handler writes to faas-pool's own output, as <function>/<slot>: ...")
    boolean logHandlers;

    private final PrintStream out;
    private final PrintStream err;

    Main(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(commandLine(System.out, System.err).execute(args));
    }

    /** The command line with its subcommands; invalid options exit 2. */
    static CommandLine commandLine(PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(new Main(out, err));
        cl.addSubcommand("report", new ReportCommand(out, err));
        cl.addSubcommand("validate", new ValidateCommand(out, err));
        cl.addSubcommand("logs", new LogsCommand(out, err));
        cl.setAllowSubcommandsAsOptionParameters(true); // --logs logs: a value, though a subcommand has that name
        return cl;
    }

    @Override
    public Integer call() throws Exception {
        LogSettings logging;
        try {
            logging = logging();
        } catch (IllegalArgumentException e) {
            err.println("faas-pool: " + e.getMessage());
            return EXIT_CONFIG;
        }
        LogSetup.configure(logging);
        boolean json = logging.format() == LogFormat.JSON;
        Settings settings;
        List<String> configSeen = config == null ? List.of() : ConfigWatcher.fingerprint(config);
        try {
            settings = settings();
        } catch (ConfigException e) {
            for (ConfigException p : e.problems()) {
                fail(json, "invalid configuration: " + p.getMessage());
            }
            return EXIT_CONFIG;
        } catch (IllegalArgumentException e) {
            fail(json, e.getMessage());
            return EXIT_CONFIG;
        }

        Service service = new Service(settings, LogSetup.console(logging.format(), out));
        SystemdNotify systemd = SystemdNotify.fromEnvironment();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            systemd.stopping("draining, then stopping");
            try {
                service.drain(settings.drainDelay()); // still serving: the balancer stops sending first
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            service.close();
            systemd.close();
            stopped.countDown();
            out.flush();
            // A clean shutdown on SIGTERM/SIGINT exits 0, not the JVM's 128+signal.
            Runtime.getRuntime().halt(0);
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Hangup hangup = new Hangup(config == null ? "started without --config (the built-in function), there is nothing to reload"
                : "still starting, the configuration read at start is being applied");
        try {
            service.start();
        } catch (Exception e) {
            Runtime.getRuntime().removeShutdownHook(hook);
            fail(json, "cannot start: " + e.getMessage());
            return EXIT_START;
        }
        if (config != null) {
            Integer min = poolSize;
            InetSocketAddress front = http == null ? null : option("--http", http);
            ConfigWatcher watcher = new ConfigWatcher(config, configSeen, service::apply, c -> {
                PoolConfig o = min == null ? c : c.withMin(min);
                return front == null ? o : o.withHttp(front);
            });
            service.watch(watcher);
            hangup.reloadWith(() -> {
                systemd.reloading();
                watcher.reloadNow().whenComplete((line, e) -> systemd.ready(e == null ? line : "reload failed: " + e));
            });
        }
        systemd.status("warming");
        String serving = service.reportWarm(Duration.ofMinutes(2));
        systemd.ready(serving);
        stopped.await();
        return 0;
    }

    Settings settings() throws ConfigException {
        if (!FunctionSpec.NAME.matcher(instance).matches()) {
            throw new IllegalArgumentException("--instance must match " + FunctionSpec.NAME + " (was '" + instance + "')");
        }
        if (poolSize != null) {
            within("--pool-size", poolSize, 0, Bounds.MAX_CONTAINERS);
        }
        within("--start-concurrency", startConcurrency, 1, Bounds.MAX_START_CONCURRENCY);
        PoolConfig pc;
        if (config != null) {
            if (listen != null) {
                throw new IllegalArgumentException("--listen is for the built-in function; with --config, "
                        + "each function's listen address is in its file");
            }
            pc = new ConfigLoader().load(config);
            if (poolSize != null) {
                pc = pc.withMin(poolSize);
            }
        } else {
            // With --http and no --listen, the built-in function is at http://<http>/function/hello/ only.
            InetSocketAddress addr = listen != null ? option("--listen", listen)
                    : http != null ? null : Defaults.HELLO_LISTEN;
            pc = new PoolConfig(List.of(Defaults.helloFunction(addr, poolSize == null ? Defaults.MIN : poolSize)));
        }
        if (http != null) {
            pc = pc.withHttp(option("--http", http));
        }
        String unroutable = pc.routingProblem();
        if (unroutable != null) {
            throw new IllegalArgumentException(unroutable);
        }
        Duration interval = duration("--report-interval", reportInterval, Bounds.MAX_REPORT_INTERVAL);
        if (interval.compareTo(Bounds.MIN_REPORT_INTERVAL) < 0) {
            throw new IllegalArgumentException("--report-interval must be at least 1ms (was " + reportInterval + ")");
        }
        InetSocketAddress adminAddress = option("--admin", admin);
        AdminAccess access = AdminAccess.decide(adminAddress,
                adminTokenFile == null ? null : TokenFile.read(adminTokenFile));
        return new Settings(pc, instance, runDir, reports, interval, dockerHost,
                adminAddress, duration("--drain-timeout", drainTimeout, Bounds.MAX_DRAIN), startConcurrency,
                access, logs, logHandlers, logging(), agent == null ? null : option("--agent", agent),
                duration("--drain-delay", drainDelay, Bounds.MAX_DRAIN),
                otlpEndpoint == null ? null : otlpEndpoint(otlpEndpoint), traceSample());
    }

    /**
     * {@code --otlp-endpoint}: an absolute http or https URL with a host; one without a path names the
     * collector, whose traces endpoint is {@code /v1/traces} (as {@code OTEL_EXPORTER_OTLP_ENDPOINT} is read).
     */
    private double traceSample() {
        if (!(traceSample >= 0 && traceSample <= 1)) { // NaN too
            throw new IllegalArgumentException("--trace-sample must be between 0 and 1 (was " + traceSample + ")");
        }
        if (traceSample != 1 && otlpEndpoint == null) {
            throw new IllegalArgumentException("--trace-sample needs --otlp-endpoint: without it nothing is recorded");
        }
        return traceSample;
    }

    static URI otlpEndpoint(String value) {
        URI u;
        try {
            u = new URI(value);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("--otlp-endpoint: not a URL: " + e.getMessage());
        }
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null
                || u.getRawQuery() != null || u.getRawFragment() != null || u.getRawUserInfo() != null) {
            throw new IllegalArgumentException("--otlp-endpoint must be an http:// or https:// URL with a host and"
                    + " no query, fragment or user (was '" + value + "')");
        }
        String path = u.getRawPath();
        return path == null || path.isEmpty() || path.equals("/") ? u.resolve("/v1/traces") : u;
    }

    /** {@code --log-level}, {@code --log-format}, {@code --request-log}, validated. */
    LogSettings logging() {
        return new LogSettings(LogSettings.parseLevel(logLevel), LogFormat.parse(logFormat), requestLog);
    }

    /** Why faas-pool stops: a line on standard error; in JSON mode an ERROR event, like every other line there. */
    private void fail(boolean json, String why) {
        if (json) {
            LoggerFactory.getLogger("faas-pool").error(why);
        } else {
            err.println("faas-pool: " + why);
        }
    }

    private static void within(String name, int value, int min, int max) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be >= " + min + " (was " + value + ")");
        }
        if (value > max) {
            throw new IllegalArgumentException(name + " must be <= " + max + " (was " + value + ")");
        }
    }

    private static InetSocketAddress option(String name, String value) {
        try {
            return Defaults.parseListen(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage());
        }
    }

    private static Duration duration(String name, String value, Duration max) {
        try {
            return Units.parseDuration(value, max);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage());
        }
    }
}
