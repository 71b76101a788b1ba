package dev.faaspool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.config.ConfigException;
import dev.faaspool.config.Defaults;
import dev.faaspool.config.FunctionSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command line, without Docker: every exit tested here happens before the service starts. In case
 * a validation regresses, {@link #run} points the service at an unreachable Docker host, so the test
 * fails with exit 1 instead of starting a pool.
 */
@Timeout(30)
class MainTest {
    private static final List<String> OPTIONS = List.of("--config", "--pool-size", "--listen", "--admin",
            "--instance", "--run-dir", "--reports", "--report-interval", "--drain-timeout", "--start-concurrency",
            "--docker-host", "--admin-token-file", "--logs", "--log-handlers", "--log-level", "--log-format",
            "--request-log");

    @TempDir
    Path tmp;

    // ---- exit codes and messages ----

    @Test
    void helpExitsZeroAndDocumentsEveryOption() {
        Result r = run("--help");
        assertEquals(0, r.exit, r.toString());
        for (String option : OPTIONS) {
            assertTrue(r.out.contains(option), option + " is not documented:\n" + r.out);
        }
        assertTrue(r.out.contains("Usage: faas-pool"), r.out);
        assertTrue(r.out.contains("2   invalid command line or configuration"), r.out);
    }

    @Test
    void versionExitsZero() {
        Result r = run("--version");
        assertEquals(0, r.exit, r.toString());
        assertEquals("faas-pool 0.1.0", r.out.trim());
    }

    @Test
    void anUnknownOptionExitsTwo() {
        Result r = run("--pool-szie", "3");
        assertEquals(2, r.exit, r.toString());
        assertTrue(r.err.contains("Unknown option") && r.err.contains("'--pool-szie'"), r.err);
        assertTrue(r.err.contains("Possible solutions: --pool-size"), r.err);
    }

    @Test
    void aPoolSizeThatIsNotANumberExitsTwo() {
        Result r = run("--pool-size", "many");
        assertEquals(2, r.exit, r.toString());
        assertTrue(r.err.contains("--pool-size"), r.err);
    }

    @Test
    void anInvalidConfigurationExitsTwoNamingFileLineFieldAndReason() throws IOException {
        Path config = Files.writeString(tmp.resolve("bad.yaml"), """
                functions:
                  hello:
                    image: faas-hello:latest
                    listen: 127.0.0.1:8080
                    pool:
                      min: -1
                """);
        Result r = run("--config", config.toString());
        assertEquals(2, r.exit, r.toString());
        assertEquals("faas-pool: invalid configuration: " + config + ":6: functions.hello.pool.min: must be >= 0 (was -1)",
                r.err.strip());
    }

    @Test
    void everyConfigurationErrorIsPrintedOnALineOfItsOwn() throws Exception {
        Path config = Files.writeString(tmp.resolve("two.yaml"), """
                functions:
                  a:
                    image: img
                    pool: { min: -1 }
                  b:
                    image: img
                    network: host
                """);
        Result r = run("--config", config.toString());
        assertEquals(2, r.exit, r.toString());
        List<String> lines = r.err.strip().lines().toList();
        assertEquals(2, lines.size(), r.err);
        assertEquals("faas-pool: invalid configuration: " + config + ":4: functions.a.pool.min: must be >= 0 (was -1)",
                lines.get(0));
        assertTrue(lines.get(1).startsWith("faas-pool: invalid configuration: " + config
                + ":7: functions.b.network: host is refused"), lines.get(1));
    }

    @Test
    void aMissingConfigurationExitsTwo() {
        Path missing = tmp.resolve("nowhere");
        Result r = run("--config", missing.toString());
        assertEquals(2, r.exit, r.toString());
        assertEquals("faas-pool: invalid configuration: " + missing + ": no such file or directory", r.err.strip());
    }

    @Test
    void listenTogetherWithConfigExitsTwoExplainingWhy() throws IOException {
        Result r = run("--config", validConfig().toString(), "--listen", "127.0.0.1:9000");
        assertEquals(2, r.exit, r.toString());
        assertEquals("faas-pool: --listen is for the built-in function; with --config, each function's listen "
                + "address is in its file", r.err.strip());
    }

    @Test
    void anInstanceNameWithCapitalsOrUnderscoresExitsTwo() {
        Result r = run("--instance", "Bad_Name");
        assertEquals(2, r.exit, r.toString());
        assertEquals("faas-pool: --instance must match [a-z0-9][a-z0-9-]{0,39} (was 'Bad_Name')", r.err.strip());
    }

    @Test
    void aNegativePoolSizeExitsTwo() {
        Result r = run("--pool-size", "-1");
        assertEquals(2, r.exit, r.toString());
        assertEquals("faas-pool: --pool-size must be >= 0 (was -1)", r.err.strip());
    }

    @Test
    void zeroStartConcurrencyExitsTwo() {
        Result r = run("--start-concurrency", "0");
        assertEquals(2, r.exit, r.toString());
        assertEquals("faas-pool: --start-concurrency must be >= 1 (was 0)", r.err.strip());
    }

    @Test
    void anInvalidListenAddressExitsTwoNamingTheOption() {
        Result r = run("--listen", "127.0.0.1:70000");
        assertEquals(2, r.exit, r.toString());
        assertEquals("faas-pool: --listen: port must be within 1..65535 (was 70000)", r.err.strip());
    }

    @Test
    void anInvalidAdminAddressExitsTwoNamingTheOption() {
        Result r = run("--admin", "127.0.0.1:x");
        assertEquals(2, r.exit, r.toString());
        assertEquals("faas-pool: --admin: '127.0.0.1:x' is not host:port, for example 127.0.0.1:8080", r.err.strip());
    }

    @Test
    void aNonLoopbackAdminAddressWithoutATokenExitsTwoNamingBothOptions() {
        for (String address : List.of("0.0.0.0:9180", "[::]:9180", "192.0.2.10:9180")) {
            Result r = run("--admin", address);
            assertEquals(2, r.exit, r.toString());
            assertTrue(r.err.startsWith("faas-pool: --admin "), r.err);
            assertTrue(r.err.contains("is not a loopback address") && r.err.contains("--admin-token-file FILE"), r.err);
        }
    }

    @Test
    void aTokenFileOthersCanReadExitsTwoWithTheFix() throws IOException {
        Path token = Files.writeString(tmp.resolve("token"), "0123456789abcdef0123456789abcdef\n");
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Result r = run("--admin", "0.0.0.0:9180", "--admin-token-file", token.toString());
        assertEquals(2, r.exit, r.toString());
        assertEquals("faas-pool: --admin-token-file " + token + ": permissions 0644 are too open: the token must be "
                + "readable by its owner only; run chmod 600 " + token, r.err.strip());
    }

    @Test
    void aTokenFileLetsTheAdminEndpointBindBeyondLoopback() throws Exception {
        Path token = Files.writeString(tmp.resolve("token"), "0123456789abcdef0123456789abcdef\n");
        Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Settings s = settings("--admin", "0.0.0.0:9180", "--admin-token-file", token.toString());
        assertTrue(s.adminAccess().requiresToken());
        assertTrue(s.adminAccess().permits(List.of("Bearer 0123456789abcdef0123456789abcdef")));
        assertTrue(!s.toString().contains("0123456789abcdef"), "the token is not in the settings' text: " + s);
        assertTrue(!settings().adminAccess().requiresToken(), "no token file: open, on loopback");
    }

    @Test
    void tracingIsOffUnlessAnOtlpEndpointIsGivenAndABareCollectorGetsTheTracesPath() throws Exception {
        assertEquals(null, settings().otlpEndpoint());
        assertEquals(java.net.URI.create("http://127.0.0.1:4318/v1/traces"),
                settings("--otlp-endpoint", "http://127.0.0.1:4318").otlpEndpoint());
        assertEquals(java.net.URI.create("https://collector.example:443/otlp/v1/traces"),
                settings("--otlp-endpoint", "https://collector.example:443/otlp/v1/traces").otlpEndpoint());
    }

    @Test
    void theTraceSampleIsAShareAndOnlyMeansSomethingWithAnEndpoint() throws Exception {
        assertEquals(1.0, settings().traceSample());
        assertEquals(0.01, settings("--otlp-endpoint", "http://127.0.0.1:4318", "--trace-sample", "0.01").traceSample());
        assertExitsTwo("faas-pool: --trace-sample must be between 0 and 1 (was 1.5)", "--otlp-endpoint",
                "http://127.0.0.1:4318", "--trace-sample", "1.5");
        assertExitsTwo("faas-pool: --trace-sample must be between 0 and 1 (was NaN)", "--otlp-endpoint",
                "http://127.0.0.1:4318", "--trace-sample", "NaN");
        assertExitsTwo("faas-pool: --trace-sample needs --otlp-endpoint: without it nothing is recorded",
                "--trace-sample", "0.5");
    }

    @Test
    void anOtlpEndpointThatIsNotAnHttpUrlExitsTwo() {
        assertExitsTwo("faas-pool: --otlp-endpoint must be an http:// or https:// URL with a host and no query, fragment"
                + " or user (was 'grpc://127.0.0.1:4317')", "--otlp-endpoint", "grpc://127.0.0.1:4317");
        assertExitsTwo("faas-pool: --otlp-endpoint must be an http:// or https:// URL with a host and no query, fragment"
                + " or user (was 'localhost:4318')", "--otlp-endpoint", "localhost:4318");
        assertExitsTwo("faas-pool: --otlp-endpoint must be an http:// or https:// URL with a host and no query, fragment"
                + " or user (was 'http://u:p@h:4318/v1/traces')", "--otlp-endpoint", "http://u:p@h:4318/v1/traces");
    }

    @Test
    void aDurationWithoutUnitExitsTwoNamingTheOption() {
        Result r = run("--drain-timeout", "10");
        assertEquals(2, r.exit, r.toString());
        assertEquals("faas-pool: --drain-timeout: '10' is not a duration; use a number with ms, s, m, h or d, "
                + "for example 250ms or 5s", r.err.strip());
    }

    @Test
    void optionsBeyondTheirBoundsExitTwoNamingTheOptionAndTheBound() {
        assertExitsTwo("faas-pool: --drain-timeout: must be <= 10m (was 11m)", "--drain-timeout", "11m");
        assertExitsTwo("faas-pool: --drain-timeout: must be <= 10m (was 99999999999h)", "--drain-timeout", "99999999999h");
        assertExitsTwo("faas-pool: --report-interval: must be <= 1h (was 61m)", "--report-interval", "61m");
        assertExitsTwo("faas-pool: --report-interval must be at least 1ms (was 0ms)", "--report-interval", "0ms");
        assertExitsTwo("faas-pool: --start-concurrency must be <= 64 (was 65)", "--start-concurrency", "65");
        assertExitsTwo("faas-pool: --start-concurrency must be <= 64 (was 2147483647)", "--start-concurrency",
                "2147483647");
        assertExitsTwo("faas-pool: --pool-size must be <= 10000 (was 10001)", "--pool-size", "10001");
    }

    @Test
    void optionsAtTheirBoundsAreAccepted() throws Exception {
        Settings s = settings("--drain-timeout", "10m", "--report-interval", "1h", "--start-concurrency", "64",
                "--pool-size", "10000");
        assertEquals(Duration.ofMinutes(10), s.drain());
        assertEquals(Duration.ofHours(1), s.reportInterval());
        assertEquals(64, s.startConcurrency());
        assertEquals(10_000, single(s).pool().min());
        assertEquals(Duration.ofMillis(1), settings("--report-interval", "1ms", "--drain-timeout", "0s").reportInterval());
    }

    @Test
    void aNumberTooLargeForAnOptionIsAPicocliErrorNotACrash() {
        Result r = run("--start-concurrency", "99999999999");
        assertEquals(2, r.exit, r.toString());
        assertTrue(r.err.contains("--start-concurrency"), r.err);
    }

    private void assertExitsTwo(String message, String... args) {
        Result r = run(args);
        assertEquals(2, r.exit, r.toString());
        assertEquals(message, r.err.strip());
    }

    // ---- the settings of a valid command line ----

    @Test
    void withoutConfigTheBuiltInHelloFunctionIsServedWithDefaults() throws Exception {
        Settings s = settings();

        FunctionSpec hello = single(s);
        assertEquals("hello", hello.name());
        assertEquals("faas-hello:latest", hello.image());
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), hello.listen());
        assertEquals(Defaults.MIN, hello.pool().min());
        assertEquals(Defaults.helloFunction(Defaults.HELLO_LISTEN, Defaults.MIN), hello);

        assertEquals("default", s.instance());
        assertEquals(Path.of("/run/faas-pool"), s.runRoot());
        assertEquals(Path.of("reports"), s.reports());
        assertEquals(Duration.ofSeconds(5), s.reportInterval());
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9180), s.admin());
        assertEquals(Duration.ofSeconds(10), s.drain());
        assertEquals(4, s.startConcurrency());
        assertNull(s.dockerHost());
    }

    @Test
    void poolSizeSetsTheFixedSizeOfTheBuiltInFunction() throws Exception {
        assertEquals(FunctionSpec.PoolSize.fixed(7, Defaults.MAX, Defaults.MAX_USES, Defaults.IDLE_TTL), single(settings("--pool-size", "7")).pool());
        assertEquals(FunctionSpec.PoolSize.fixed(0, Defaults.MAX, Defaults.MAX_USES, Defaults.IDLE_TTL), single(settings("--pool-size", "0")).pool());
        assertEquals(FunctionSpec.PoolSize.fixed(40, 40, Defaults.MAX_USES, Defaults.IDLE_TTL), single(settings("--pool-size", "40")).pool());
    }

    @Test
    void listenMovesTheBuiltInFunction() throws Exception {
        FunctionSpec hello = single(settings("--listen", "0.0.0.0:9000"));
        assertEquals(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 9000), hello.listen());
    }

    @Test
    void theFunctionLogOptionsReachTheSettings() throws Exception {
        Settings d = settings();
        assertEquals(Path.of("logs"), d.logs());
        assertEquals(false, d.logHandlers());
        Settings s = settings("--logs", "logs", "--log-handlers"); // a value, though the logs subcommand has that name
        assertEquals(Path.of("logs"), s.logs());
        assertEquals(true, s.logHandlers());
        assertEquals(Path.of("/tmp/fn-logs"), settings("--logs", "/tmp/fn-logs").logs());
    }

    @Test
    void everyOptionReachesTheSettings() throws Exception {
        Settings s = settings("--instance", "bench-2", "--run-dir", "/tmp/faas-run", "--reports", "/tmp/faas-reports",
                "--report-interval", "250ms", "--drain-timeout", "1m", "--start-concurrency", "8",
                "--admin", "127.0.0.1:9999", "--docker-host", "unix:///tmp/docker.sock");

        assertEquals("bench-2", s.instance());
        assertEquals(Path.of("/tmp/faas-run"), s.runRoot());
        assertEquals(Path.of("/tmp/faas-reports"), s.reports());
        assertEquals(Duration.ofMillis(250), s.reportInterval());
        assertEquals(Duration.ofMinutes(1), s.drain());
        assertEquals(8, s.startConcurrency());
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9999), s.admin());
        assertEquals("unix:///tmp/docker.sock", s.dockerHost());
    }

    @Test
    void theLogOptionsReachTheSettingsAndTheDefaultIsTextAtInfoWithoutARequestLog() throws Exception {
        assertEquals(dev.faaspool.log.LogSettings.DEFAULT, settings().logging());
        dev.faaspool.log.LogSettings l = settings("--log-level", "debug", "--log-format", "json", "--request-log", "-")
                .logging();
        assertEquals(org.slf4j.event.Level.DEBUG, l.level());
        assertEquals(dev.faaspool.log.LogFormat.JSON, l.format());
        assertEquals(dev.faaspool.log.LogSettings.STDOUT, l.requestLog());
        assertEquals(Path.of("/var/log/faas/requests.log"),
                settings("--request-log", "/var/log/faas/requests.log").logging().requestLog());
    }

    @Test
    void aWrongLogLevelOrFormatExitsTwoNamingTheOption() {
        assertExitsTwo("faas-pool: --log-level must be one of trace, debug, info, warn, error (was 'loud')",
                "--log-level", "loud");
        assertExitsTwo("faas-pool: --log-format must be text or json (was 'xml')", "--log-format", "xml");
    }

    @Test
    void withConfigTheFunctionsComeFromTheFiles() throws Exception {
        Settings s = settings("--config", validConfig().toString());
        assertEquals(List.of("small", "large"), s.config().functions().stream().map(FunctionSpec::name).toList());
        assertEquals(new FunctionSpec.PoolSize(1, 4, Defaults.MAX_USES, Defaults.IDLE_TTL), s.config().functions().get(0).pool());
        assertEquals(new FunctionSpec.PoolSize(2, 30, Defaults.MAX_USES, Defaults.IDLE_TTL), s.config().functions().get(1).pool());
    }

    @Test
    void withConfigPoolSizeSetsEveryFunctionsWarmSizeAndGrowsMax() throws Exception {
        Settings s = settings("--config", validConfig().toString(), "--pool-size", "20");
        assertEquals(new FunctionSpec.PoolSize(20, 20, Defaults.MAX_USES, Defaults.IDLE_TTL), s.config().functions().get(0).pool()); // max 4 grew
        assertEquals(new FunctionSpec.PoolSize(20, 30, Defaults.MAX_USES, Defaults.IDLE_TTL), s.config().functions().get(1).pool()); // max 30 kept
        assertEquals("small:latest", s.config().functions().get(0).image()); // nothing else changes
    }

    @Test
    void httpServesTheBuiltInFunctionAtItsPathOnly() throws Exception {
        Settings s = settings("--http", "127.0.0.1:8080");
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), s.config().http());
        assertEquals(null, single(s).listen(), "its own listener would take the same default port");
    }

    @Test
    void httpOverridesTheFilesFrontListenerAndAFunctionWithoutListenNeedsOne() throws Exception {
        Path f = Files.writeString(tmp.resolve("pool.yaml"), """
                functions:
                  routed:
                    image: small:latest
                    hosts: [api.example.com]
                """);
        assertExitsTwo("faas-pool: function routed has no listen address and there is no front listener: set http: "
                + "HOST:PORT (or --http), or give it a listen address", "--config", f.toString());
        Settings s = settings("--config", f.toString(), "--http", "127.0.0.1:9100");
        assertEquals(9100, s.config().http().getPort());
        assertEquals(List.of("api.example.com"), s.config().functions().get(0).hosts());
        assertExitsTwo("faas-pool: http 127.0.0.1:9001 is also the listen address of function small", "--config",
                validConfig().toString(), "--http", "127.0.0.1:9001");
    }

    // ---- helpers ----

    private Path validConfig() throws IOException {
        return Files.writeString(tmp.resolve("pool.yaml"), """
                functions:
                  small:
                    image: small:latest
                    listen: 127.0.0.1:9001
                    pool: { min: 1, max: 4 }
                  large:
                    image: large:latest
                    listen: 127.0.0.1:9002
                    pool: { min: 2, max: 30 }
                """);
    }

    private static Settings settings(String... args) throws ConfigException {
        Main main = new Main(new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()));
        new CommandLine(main).parseArgs(args);
        return main.settings();
    }

    private static FunctionSpec single(Settings s) {
        assertEquals(1, s.config().functions().size(), s.config().toString());
        return s.config().functions().get(0);
    }

    /** Runs the command as {@code main} does, capturing both Main's streams and picocli's. */
    private Result run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.contains("--docker-host")) {
            all.addAll(List.of("--docker-host", "tcp://127.0.0.1:1"));
        }
        all.addAll(List.of("--run-dir", tmp.resolve("run").toString(), "--reports", tmp.resolve("reports").toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StringWriter cliOut = new StringWriter();
        StringWriter cliErr = new StringWriter();
        CommandLine cl = new CommandLine(new Main(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)));
        cl.setOut(new PrintWriter(cliOut, true));
        cl.setErr(new PrintWriter(cliErr, true));
        int exit = cl.execute(all.toArray(String[]::new));
        return new Result(exit, out.toString(StandardCharsets.UTF_8) + cliOut, err.toString(StandardCharsets.UTF_8) + cliErr);
    }

    private record Result(int exit, String out, String err) {}
}
