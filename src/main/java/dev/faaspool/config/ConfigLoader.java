package dev.faaspool.config;

import java.io.IOException;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads {@code pool-config/*.yaml} into a {@link PoolConfig}, validating every field once.
 *
 * <p>A file declares functions under {@code functions:}, keyed by name:
 * <pre>{@code
 * functions:
 *   hello:
 *     image: faas-hello:latest
 *     listen: 127.0.0.1:8080
 *     pool: { min: 4, max: 16 }
 * }</pre>
 * Omitted fields take the defaults documented in {@code pool-config/README.md}. A directory is read as
 * all of its {@code .yaml} and {@code .yml} files in name order; a function name, a listen address or a
 * {@code hosts:} name may appear only once across them, and {@code host:} and {@code http:} in one file.
 * A function's {@code env-file} is read relative to the file that names it ({@link EnvFile}).
 *
 * <p>Every error is collected rather than the first one thrown: each file is read whatever the files
 * before it hold, each function whatever the one before it holds (a function stops at its first error,
 * as its later fields may depend on the earlier ones); {@link ConfigException#problems()} has them all.
 */
public final class ConfigLoader {
    /** The keys each section accepts; pool-config/schema.json states the same (ConfigSchemaTest holds them equal). */
    static final Set<String> TOP = Set.of("functions", "host", "http");
    static final Set<String> HOST = Set.of("memory", "timezone");
    static final Set<String> SCHEDULE = Set.of("days", "from", "to", "min");
    static final Set<String> FUNCTION =
            Set.of("image", "command", "env", "env-file", "listen", "hosts", "network", "mode", "stdio", "concurrency",
                    "isolation", "seccomp", "runtime", "pool", "limits", "timeouts", "admission");
    static final Set<String> POOL =
            Set.of("min", "max", "max-uses", "idle-ttl", "schedules", "scaling", "prewarm", "initial");
    static final Set<String> LIMITS = Set.of("memory", "pids", "tmp", "user", "cpus", "shm", "nofile");
    static final Set<String> TIMEOUTS = Set.of("acquire", "start", "request", "first-byte");
    static final Set<String> ADMISSION = Set.of("connections", "queued");

    /**
     * Loads one file, or every YAML file of a directory.
     *
     * @throws ConfigException with every error found ({@link ConfigException#problems()}): each file is read
     *                         whatever the files before it hold, and each function whatever the one before it
     *                         holds (a function reports its first error)
     */
    public PoolConfig load(Path path) throws ConfigException {
        List<Path> files = filesOf(path);
        List<ConfigException> errors = new ArrayList<>();
        List<FunctionSpec> functions = new ArrayList<>();
        Map<String, Path> nameOwner = new HashMap<>();
        Map<InetSocketAddress, String> listenOwner = new HashMap<>();
        Map<InetSocketAddress, Path> listenFile = new HashMap<>();
        Map<String, String> hostOwner = new HashMap<>();
        PoolConfig.Host host = PoolConfig.Host.DEFAULT;
        Path hostFile = null;
        YamlSection hostSection = null;
        InetSocketAddress http = null;
        Path httpFile = null;
        YamlSection httpRoot = null;
        for (Path file : files) {
            YamlSection root;
            try {
                root = YamlSection.root(file, compose(file));
            } catch (ConfigException e) {
                errors.add(e);
                continue;
            }
            collect(errors, () -> root.allowOnly(TOP));
            if (root.has("host")) {
                if (hostFile != null) {
                    errors.add(root.error("host", "is also set in " + hostFile + "; set it in one file"));
                } else {
                    hostFile = file;
                    try {
                        hostSection = root.section("host");
                        host = host(hostSection);
                    } catch (ConfigException e) {
                        errors.add(e);
                    }
                }
            }
            if (root.has("http")) {
                if (httpFile != null) {
                    errors.add(root.error("http", "is also set in " + httpFile + "; set it in one file"));
                } else {
                    httpFile = file;
                    httpRoot = root;
                    try {
                        http = address(root, "http", "the front HTTP listener's address, for example 127.0.0.1:8080");
                    } catch (ConfigException e) {
                        errors.add(e);
                    }
                }
            }
            Map<String, YamlSection> declared;
            try {
                declared = root.namedSections("functions");
            } catch (ConfigException e) {
                errors.add(e);
                continue;
            }
            for (Map.Entry<String, YamlSection> e : declared.entrySet()) {
                String field = "functions." + e.getKey();
                try {
                    FunctionSpec spec = function(e.getKey(), e.getValue(), file);
                    Path earlier = nameOwner.putIfAbsent(spec.name(), file);
                    if (earlier != null) {
                        throw e.getValue().error("function '" + spec.name() + "' is also declared in " + earlier);
                    }
                    if (spec.listen() != null) {
                        String other = listenOwner.putIfAbsent(spec.listen(), field);
                        if (other != null) {
                            Path otherFile = listenFile.get(spec.listen());
                            throw e.getValue().error("listen address " + Defaults.format(spec.listen())
                                    + " is already used by " + other + (otherFile.equals(file) ? "" : " in " + otherFile));
                        }
                        listenFile.put(spec.listen(), file);
                    }
                    String where = field + " in " + file;
                    for (String h : spec.hosts()) {
                        String other = hostOwner.putIfAbsent(h, where);
                        if (other != null) {
                            throw e.getValue().error("hosts", "host " + h + " is also claimed by " + other);
                        }
                    }
                    functions.add(spec);
                } catch (ConfigException ex) {
                    errors.add(ex);
                }
            }
        }
        if (!errors.isEmpty()) {
            throw ConfigException.of(errors);
        }
        if (functions.isEmpty()) {
            throw new ConfigException(path, 0, "functions", "no function is declared");
        }
        PoolConfig config;
        try {
            config = new PoolConfig(functions, host, http);
        } catch (IllegalArgumentException e) { // the minimums exceed the budget, which only a host section sets
            if (hostSection != null) {
                throw hostSection.error("memory", e.getMessage());
            }
            throw new ConfigException(hostFile == null ? path : hostFile, 0, "host.memory", e.getMessage());
        }
        // Without http: in the files, --http may still give the front listener (PoolConfig#routingProblem).
        if (httpRoot != null) {
            String problem = config.routingProblem();
            if (problem != null) {
                throw httpRoot.error("http", problem);
            }
        }
        return config;
    }

    /** Runs {@code check}; its error joins {@code errors} rather than stop the reading. */
    private static void collect(List<ConfigException> errors, Check check) {
        try {
            check.run();
        } catch (ConfigException e) {
            errors.add(e);
        }
    }

    @FunctionalInterface
    private interface Check {
        void run() throws ConfigException;
    }

    private static PoolConfig.Host host(YamlSection h) throws ConfigException {
        h.allowOnly(HOST);
        long memory = h.bytes("memory", 0, Bounds.MAX_HOST_MEMORY);
        java.time.ZoneId zone = java.time.ZoneId.systemDefault();
        String tz = h.string("timezone", null);
        if (tz != null) {
            try {
                zone = java.time.ZoneId.of(tz);
            } catch (java.time.DateTimeException e) {
                throw h.error("timezone", "'" + tz + "' is not a time zone, for example Europe/Berlin or UTC");
            }
        }
        return new PoolConfig.Host(memory, zone);
    }

    private static List<Schedule> schedules(YamlSection p) throws ConfigException {
        List<Schedule> out = new ArrayList<>();
        List<YamlSection> items = p.sections("schedules");
        if (items.size() > Bounds.MAX_SCHEDULES) {
            throw p.error("schedules", "must be at most " + Bounds.MAX_SCHEDULES + " (was " + items.size() + ")");
        }
        for (YamlSection sc : items) {
            sc.allowOnly(SCHEDULE);
            java.util.Set<java.time.DayOfWeek> days;
            try {
                days = Schedule.parseDays(sc.requiredString("days"));
            } catch (IllegalArgumentException e) {
                throw sc.error("days", e.getMessage());
            }
            java.time.LocalTime from = time(sc, "from");
            java.time.LocalTime to = time(sc, "to");
            int min = sc.integer("min", 0, 0, Bounds.MAX_CONTAINERS);
            out.add(build(sc, () -> new Schedule(days, from, to, min)));
        }
        return out;
    }

    private static java.time.LocalTime time(YamlSection s, String key) throws ConfigException {
        String t = s.requiredString(key);
        try {
            return java.time.LocalTime.parse(t.length() == 4 ? "0" + t : t);
        } catch (java.time.format.DateTimeParseException e) {
            throw s.error(key, "'" + t + "' is not a time of day, for example 08:00 or 18:30");
        }
    }

    /** The files {@link #load} reads for {@code path}: the file itself, or a directory's YAML files in name order. */
    public List<Path> files(Path path) throws ConfigException {
        return filesOf(path);
    }

    private static List<Path> filesOf(Path path) throws ConfigException {
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (!Files.isDirectory(path)) {
            throw new ConfigException(path, 0, null, "no such file or directory");
        }
        try (Stream<Path> s = Files.list(path)) {
            List<Path> files = s.filter(p -> {
                        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                        return Files.isRegularFile(p) && (n.endsWith(".yaml") || n.endsWith(".yml"));
                    })
                    .sorted()
                    .toList();
            if (files.isEmpty()) {
                throw new ConfigException(path, 0, null, "the directory holds no .yaml file");
            }
            return files;
        } catch (IOException e) {
            throw new ConfigException(path, 0, null, "cannot list: " + e.getMessage());
        }
    }

    private static Node compose(Path file) throws ConfigException {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return new Yaml(options).compose(r);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new ConfigException(file, line, null, "not valid YAML: " + e.getProblem());
        } catch (YAMLException e) {
            throw new ConfigException(file, 0, null, "not valid YAML: " + e.getMessage());
        } catch (IOException e) {
            throw new ConfigException(file, 0, null, "cannot read: " + e.getMessage());
        }
    }

    private static FunctionSpec function(String name, YamlSection f, Path file) throws ConfigException {
        if (!FunctionSpec.NAME.matcher(name).matches()) {
            throw f.error("function names must match " + FunctionSpec.NAME + " (lower case, digits, '-')");
        }
        f.allowOnly(FUNCTION);
        String image = f.requiredString("image");
        check(f, "image", Bounds.imageProblem(image));
        InetSocketAddress listen = f.has("listen")
                ? address(f, "listen", "the address clients connect to, for example 127.0.0.1:8080") : null;
        HandlerMode mode = mode(f);

        YamlSection p = f.section("pool");
        if (p.has("warm")) {
            throw p.error("warm", "is now called min: the warm containers kept at least, whatever the demand");
        }
        p.allowOnly(POOL);
        Scaling scaling = choice(p, "scaling", Scaling.values(), Scaling::configName, Defaults.SCALING);
        Prewarm prewarm = choice(p, "prewarm", Prewarm.values(), Prewarm::configName, Prewarm.defaultFor(scaling));
        if (scaling == Scaling.FIXED && prewarm == Prewarm.LEARNED) {
            throw p.error("prewarm", "learned pre-warming needs scaling: demand");
        }
        if (scaling == Scaling.FIXED && p.has("initial")) {
            throw p.error("initial", "needs scaling: demand (a fixed pool keeps min)");
        }
        List<Schedule> schedules = schedules(p);
        int min = p.integer("min", Defaults.MIN, 0, Bounds.MAX_CONTAINERS);
        int max = p.integer("max", Math.max(Defaults.MAX, min), 1, Bounds.MAX_CONTAINERS);
        int initial = p.integer("initial", scaling == Scaling.DEMAND ? Math.min(Defaults.INITIAL, max) : 0,
                0, Bounds.MAX_CONTAINERS);
        if (initial > max) {
            throw p.error("initial", "must be <= max (was " + initial + ", max " + max + ")");
        }
        int maxUses = p.integer("max-uses", Defaults.MAX_USES, 1, Integer.MAX_VALUE);
        Duration idleTtl = positive(p, "idle-ttl", Defaults.IDLE_TTL, Bounds.MAX_IDLE_TTL);
        FunctionSpec.PoolSize pool = build(p, () -> new FunctionSpec.PoolSize(min, max, maxUses, idleTtl, schedules,
                scaling, prewarm, initial));

        YamlSection l = f.section("limits");
        l.allowOnly(LIMITS);
        long memory = l.bytes("memory", Defaults.MEMORY, Bounds.MAX_MEMORY);
        if (memory < Bounds.MIN_MEMORY) {
            throw l.error("memory", "must be at least 4m, Docker's minimum");
        }
        long pids = l.integer("pids", Defaults.PIDS, 1, Bounds.MAX_PIDS);
        long tmp = l.bytes("tmp", Defaults.TMP, Bounds.MAX_TMP);
        String user = l.string("user", Defaults.USER);
        check(l, "user", Bounds.userProblem(user));
        long milliCpus = milliCpus(l);
        long shm = l.bytes("shm", Defaults.SHM, Bounds.MAX_SHM);
        long nofile = l.integer("nofile", (int) Defaults.NOFILE, Bounds.MIN_NOFILE, Bounds.MAX_NOFILE);
        FunctionSpec.Limits limits = build(l, () -> new FunctionSpec.Limits(memory, pids, tmp, user, milliCpus, shm,
                nofile));

        YamlSection t = f.section("timeouts");
        t.allowOnly(TIMEOUTS);
        FunctionSpec.Timeouts timeouts = new FunctionSpec.Timeouts(
                positive(t, "acquire", Defaults.ACQUIRE, Bounds.MAX_ACQUIRE),
                positive(t, "start", Defaults.START, Bounds.MAX_START),
                positive(t, "request", Defaults.REQUEST, Bounds.MAX_REQUEST),
                positive(t, "first-byte", Defaults.FIRST_BYTE, Bounds.MAX_FIRST_BYTE));

        YamlSection a = f.section("admission");
        a.allowOnly(ADMISSION);
        int connections = (int) a.integer("connections", Defaults.CONNECTIONS, 1, Bounds.MAX_CONNECTIONS);
        int queued = (int) a.integer("queued", Math.min(Defaults.QUEUED, connections), 1, connections);
        FunctionSpec.Admission admission = build(a, () -> new FunctionSpec.Admission(connections, queued));

        boolean stdio = bool(f, "stdio", false);
        int concurrency = f.integer("concurrency", Defaults.CONCURRENCY, 1, Bounds.MAX_CONCURRENCY);
        check(f, "concurrency", FunctionSpec.concurrencyProblem(concurrency, mode));
        FunctionSpec.Sandbox sandbox = sandbox(f, mode);
        List<String> command = f.strings("command");
        check(f, "command", Bounds.commandProblem(command));
        Map<String, String> env = env(f);
        FunctionSpec.SecretEnv secretEnv = secretEnv(f, file, env);
        String network = f.string("network", Bounds.NO_NETWORK);
        check(f, "network", Bounds.networkProblem(network));
        List<String> hosts = hosts(f);
        return build(f, () -> new FunctionSpec(name, image, command, env, listen, mode, stdio, pool, limits,
                timeouts, admission, concurrency, sandbox, secretEnv, network, hosts));
    }

    /** The value of {@code key} among {@code values} by their configuration names, or {@code fallback} when absent. */
    private static <E> E choice(YamlSection f, String key, E[] values, java.util.function.Function<E, String> name,
            E fallback) throws ConfigException {
        String text = f.string(key, null);
        if (text == null) {
            return fallback;
        }
        List<String> names = new java.util.ArrayList<>();
        for (E v : values) {
            if (name.apply(v).equals(text)) {
                return v;
            }
            names.add(name.apply(v));
        }
        throw f.error(key, "must be " + String.join(", ", names.subList(0, names.size() - 1)) + " or "
                + names.get(names.size() - 1) + " (was '" + text + "')");
    }

    /** {@code limits.cpus}: a decimal number of CPUs with at most three decimals, as thousandths. */
    private static long milliCpus(YamlSection l) throws ConfigException {
        String text = l.string("cpus", null);
        if (text == null) {
            return Defaults.MILLI_CPUS;
        }
        if (!text.matches("[0-9]{1,7}(\\.[0-9]{1,3})?")) {
            throw l.error("cpus", "must be a number of CPUs such as 1 or 0.5, at most three decimals (was '" + text + "')");
        }
        String[] parts = text.split("\\.");
        long milli = Long.parseLong(parts[0]) * 1000
                + (parts.length == 2 ? Long.parseLong((parts[1] + "00").substring(0, 3)) : 0);
        if (milli < Bounds.MIN_MILLI_CPUS || milli > Bounds.MAX_MILLI_CPUS) {
            throw l.error("cpus", "must be within 0.01.." + Bounds.MAX_MILLI_CPUS / 1000 + " (was " + text + ")");
        }
        return milli;
    }

    /** {@code isolation}, {@code seccomp} and {@code runtime}, each checked against the mode and the known names. */
    private static FunctionSpec.Sandbox sandbox(YamlSection f, HandlerMode mode) throws ConfigException {
        FunctionSpec.Sandbox d = FunctionSpec.Sandbox.defaultFor(mode);
        Isolation isolation = choice(f, "isolation", Isolation.values(), Isolation::configName, d.isolation());
        if (f.has("isolation")) {
            String problem = FunctionSpec.Sandbox.problem(isolation, mode);
            if (problem != null) {
                throw f.error("isolation", problem);
            }
        }
        Seccomp seccomp = choice(f, "seccomp", Seccomp.values(), Seccomp::configName, d.seccomp());
        String runtime = f.string("runtime", d.runtime());
        check(f, "runtime", Bounds.runtimeProblem(runtime));
        return new FunctionSpec.Sandbox(isolation, seccomp, runtime);
    }

    /** The handler's environment: names a shell accepts and the pool does not set itself, no NUL, 64 KiB at most. */
    private static Map<String, String> env(YamlSection f) throws ConfigException {
        YamlSection e = f.section("env");
        Map<String, String> env = f.stringMap("env");
        for (Map.Entry<String, String> v : env.entrySet()) {
            String problem = Bounds.envNameProblem(v.getKey());
            if (problem != null && !Bounds.ENV_NAME.matcher(v.getKey()).matches()) {
                throw e.keyError(v.getKey(), problem); // no field of its own: the error names env, at the name's line
            }
            check(e, v.getKey(), problem);
            check(e, v.getKey(), Bounds.envValueProblem(v.getValue()));
        }
        check(f, "env", Bounds.envSizeProblem(env));
        return env;
    }

    /** Throws {@code problem}, a reason from {@link Bounds}, as the error of {@code key}; nothing when it is null. */
    private static void check(YamlSection s, String key, String problem) throws ConfigException {
        if (problem != null) {
            throw s.error(key, problem);
        }
    }

    /** {@code key}, a {@code host:port} ({@link Defaults#parseListen}). */
    private static InetSocketAddress address(YamlSection s, String key, String what) throws ConfigException {
        String text = s.string(key, null);
        if (text == null || text.isBlank()) {
            throw s.error(key, "must be " + what);
        }
        try {
            return Defaults.parseListen(text);
        } catch (IllegalArgumentException e) {
            throw s.error(key, e.getMessage());
        }
    }

    /**
     * {@code env-file}, relative to the directory of the file that names it ({@link EnvFile}); no name of
     * {@code env} may be in it too (which of the two would be meant is a guess).
     */
    private static FunctionSpec.SecretEnv secretEnv(YamlSection f, Path file, Map<String, String> env)
            throws ConfigException {
        String text = f.string("env-file", null);
        if (text == null) {
            return FunctionSpec.SecretEnv.NONE;
        }
        if (text.isBlank() || text.indexOf('\0') >= 0) {
            throw f.error("env-file", "must be the path of a KEY=VALUE file");
        }
        Path dir = file.toAbsolutePath().getParent();
        Path envFile;
        try {
            envFile = dir.resolve(text).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw f.error("env-file", "'" + text + "' is not a path");
        }
        String field = f.field("env-file");
        Map<String, String> values;
        try {
            values = EnvFile.read(envFile, field);
        } catch (ConfigException e) {
            if (e.line() == 0) { // the file as a whole: where the YAML names it is where to fix it
                throw f.error("env-file", e.reason() + " (" + envFile + ")");
            }
            throw e;
        }
        for (String key : values.keySet()) {
            if (env.containsKey(key)) {
                throw f.section("env").error(key, "is also set by env-file " + envFile + "; set it in one place");
            }
        }
        Map<String, String> all = new java.util.LinkedHashMap<>(env);
        all.putAll(values);
        check(f, "env-file", Bounds.envSizeProblem(all));
        return new FunctionSpec.SecretEnv(values);
    }

    /** {@code hosts}: names of {@link HostNames}, lower-cased as DNS names compare, each once. */
    private static List<String> hosts(YamlSection f) throws ConfigException {
        List<String> out = new ArrayList<>();
        for (String h : f.strings("hosts")) {
            String name = HostNames.normalize(h.strip());
            check(f, "hosts", HostNames.problem(name));
            if (out.contains(name)) {
                throw f.error("hosts", "names " + name + " twice");
            }
            out.add(name);
        }
        return out;
    }

    private static HandlerMode mode(YamlSection f) throws ConfigException {
        String text = f.string("mode", HandlerMode.ONESHOT.configName());
        for (HandlerMode m : HandlerMode.values()) {
            if (m.configName().equals(text)) {
                return m;
            }
        }
        throw f.error("mode", "'" + text + "' is not a handler mode; expected one of "
                + String.join(", ", Stream.of(HandlerMode.values()).map(HandlerMode::configName).toList()));
    }

    /** A duration longer than 0 and at most {@code max}. */
    private static Duration positive(YamlSection s, String key, Duration fallback, Duration max)
            throws ConfigException {
        Duration d = s.duration(key, fallback, max);
        if (d.isZero() || d.isNegative()) {
            throw s.error(key, "must be longer than 0");
        }
        return d;
    }

    private static boolean bool(YamlSection s, String key, boolean fallback) throws ConfigException {
        String v = s.string(key, null);
        if (v == null) {
            return fallback;
        }
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw s.error(key, "must be true or false (was '" + v + "')");
        };
    }

    /** Runs a record constructor; a cross-field rule it states becomes an error at the section's line. */
    private static <T> T build(YamlSection s, Builder<T> b) throws ConfigException {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw s.error(e.getMessage());
        }
    }

    @FunctionalInterface
    private interface Builder<T> {
        T build() throws ConfigException;
    }
}
