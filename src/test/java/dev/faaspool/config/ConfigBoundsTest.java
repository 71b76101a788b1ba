package dev.faaspool.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The {@link Bounds} of every configuration value, with the exact message for each, as a user reads it: the
 * values of the issue that broke the pool at run time, and each bound on both sides.
 */
class ConfigBoundsTest {
    /** A minimal valid function "hello" on 127.0.0.1:8080; lines 1-4, so added fields start on line 5. */
    private static final String HELLO = """
            functions:
              hello:
                image: faas-hello:latest
                listen: 127.0.0.1:8080
            """;

    @TempDir
    Path dir;

    // ---- the values that broke the pool at run time ----

    @Test
    void anAcquireTimeoutOfYearsIsRejectedStatingTheBound() throws Exception {
        Path file = write("pool.yaml", HELLO + "    timeouts:\n      start: 5s\n      acquire: 99999999999h\n");
        assertEquals(file + ":7: functions.hello.timeouts.acquire: must be <= 10m (was 99999999999h)",
                loadFails(file).getMessage());
    }

    @Test
    void aStartTimeoutOfYearsIsRejectedStatingTheBound() throws Exception {
        Path file = write("pool.yaml", HELLO + "    timeouts:\n      start: 99999999999h\n");
        assertEquals(file + ":6: functions.hello.timeouts.start: must be <= 10m (was 99999999999h)",
                loadFails(file).getMessage());
    }

    @Test
    void anIdleTtlOfYearsIsRejectedStatingTheBound() throws Exception {
        Path file = write("pool.yaml", HELLO + "    pool:\n      idle-ttl: 99999999999h\n");
        assertEquals(file + ":6: functions.hello.pool.idle-ttl: must be <= 30d (was 99999999999h)",
                loadFails(file).getMessage());
    }

    @Test
    void aMemoryLimitThatOverflowsTheBudgetSumIsRejectedStatingTheBound() throws Exception {
        Path file = write("pool.yaml", HELLO + "    limits:\n      memory: 8589934591g\n");
        assertEquals(file + ":6: functions.hello.limits.memory: must be <= 1t (was 8589934591g)",
                loadFails(file).getMessage());
    }

    @Test
    void moreSchedulesThanATickShouldLookAtAreRejected() throws Exception {
        StringBuilder y = new StringBuilder(HELLO + "    pool:\n      max: 4\n      schedules:\n");
        for (int i = 0; i <= Bounds.MAX_SCHEDULES; i++) {
            y.append("        - { days: mon-fri, from: \"08:00\", to: \"09:00\", min: 1 }\n");
        }
        Path file = write("pool.yaml", y.toString());
        assertEquals(file + ":8: functions.hello.pool.schedules: must be at most 64 (was 65)",
                loadFails(file).getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "0:0    | uid 0 is root",
        "0      | uid 0 is root",
        "0:1000 | uid 0 is root",
        "000    | uid 0 is root",
        "1000:0 | gid 0 is root's group",
    })
    void rootIsRejectedAsTheUser(String user, String why) throws Exception {
        Path file = write("pool.yaml", HELLO + "    limits:\n      user: \"" + user + "\"\n");
        assertEquals(file + ":6: functions.hello.limits.user: faas-pool runs functions as an unprivileged user: " + why
                + " (was '" + user + "')", loadFails(file).getMessage());
    }

    @Test
    void aUidOrGidBeyondTheRangeOfIdsIsRejectedNamingIt() throws Exception {
        Path uid = write("u.yaml", HELLO + "    limits:\n      user: \"2147483648:1000\"\n");
        assertEquals(uid + ":6: functions.hello.limits.user: uid must be within 1..2147483647 (was '2147483648:1000')",
                loadFails(uid).getMessage());
        Path gid = write("g.yaml", HELLO + "    limits:\n      user: \"1000:9999999999\"\n");
        assertEquals(gid + ":6: functions.hello.limits.user: gid must be within 1..2147483647 (was '1000:9999999999')",
                loadFails(gid).getMessage());
    }

    @Test
    void theDefaultUserAndTheLargestIdsPassAndALoneUidRunsWithItsOwnGroup() throws Exception {
        assertEquals(Defaults.USER, single(load(write("d.yaml", HELLO))).limits().user());
        FunctionSpec.Limits largest = single(load(write("l.yaml", HELLO
                + "    limits:\n      user: \"2147483647:2147483647\"\n"))).limits();
        assertEquals(Integer.MAX_VALUE, largest.uid());
        assertEquals(Integer.MAX_VALUE, largest.gid());
        // Docker would run a lone uid without a passwd entry in group 0; the pool names the group it opens its
        // control socket to.
        FunctionSpec.Limits lone = single(load(write("o.yaml", HELLO + "    limits:\n      user: \"1000\"\n"))).limits();
        assertEquals("1000:1000", lone.user());
        assertEquals(1000, lone.gid());
    }

    // ---- each numeric bound, on both sides ----

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "pool     | max       | 10001                 | must be <= 10000 (was 10001)",
        "pool     | max       | 99999999999           | must be <= 10000 (was 99999999999)",
        "pool     | max       | 99999999999999999999  | must be <= 10000 (was 99999999999999999999)",
        "pool     | max       | -99999999999999999999 | must be >= 1 (was -99999999999999999999)",
        "pool     | min       | 10001                 | must be <= 10000 (was 10001)",
        "pool     | min       | -2147483649           | must be >= 0 (was -2147483649)",
        "pool     | initial   | 2147483648            | must be <= 10000 (was 2147483648)",
        "pool     | max-uses  | 2147483648            | must be <= 2147483647 (was 2147483648)",
        "pool     | max-uses  | 0                     | must be >= 1 (was 0)",
        "pool     | max       | 1e3                   | '1e3' is not a whole number",
        "pool     | max       | 0x10                  | '0x10' is not a whole number",
        "pool     | idle-ttl  | 31d                   | must be <= 30d (was 31d)",
        "pool     | idle-ttl  | 721h                  | must be <= 30d (was 721h)",
        "pool     | idle-ttl  | 0ms                   | must be longer than 0",
        "timeouts | acquire   | 600001ms              | must be <= 10m (was 600001ms)",
        "timeouts | start     | 11m                   | must be <= 10m (was 11m)",
        "timeouts | request   | 25h                   | must be <= 24h (was 25h)",
        "timeouts | request   | 2d                    | must be <= 24h (was 2d)",
        "limits   | memory    | 1025g                 | must be <= 1t (was 1025g)",
        "limits   | memory    | 4194303               | must be at least 4m, Docker's minimum",
        "limits   | tmp       | 65g                   | must be <= 64g (was 65g)",
        "limits   | tmp       | 99999999999999999999p | must be <= 64g (was 99999999999999999999p)",
        "limits   | pids      | 4194305               | must be <= 4194304 (was 4194305)",
        "limits   | pids      | 0                     | must be >= 1 (was 0)",
    })
    void aValueBeyondItsBoundIsRejectedAtItsLineStatingTheBound(String section, String key, String value,
            String reason) throws Exception {
        Path file = write("pool.yaml", HELLO + "    " + section + ":\n      " + key + ": " + value + "\n");
        assertEquals(file + ":6: functions.hello." + section + "." + key + ": " + reason, loadFails(file).getMessage());
    }

    @Test
    void everyValueAtItsBoundIsAccepted() throws Exception {
        FunctionSpec f = single(load(write("pool.yaml", """
                host:
                  memory: 1p
                functions:
                  hello:
                    image: faas-hello:latest
                    listen: 127.0.0.1:8080
                    pool:
                      min: 1000
                      max: 10000
                      initial: 10000
                      max-uses: 2147483647
                      idle-ttl: 30d
                      schedules:
                        - { days: daily, from: "08:00", to: "18:00", min: 10000 }
                    limits:
                      memory: 1t
                      tmp: 64g
                      pids: 4194304
                      user: "1:1"
                    timeouts:
                      acquire: 10m
                      start: 600000ms
                      request: 24h
                """)));
        assertEquals(new FunctionSpec.PoolSize(1000, 10_000, Integer.MAX_VALUE, Duration.ofDays(30),
                f.pool().schedules(), Scaling.DEMAND, Prewarm.LEARNED, 10_000), f.pool());
        assertEquals(new FunctionSpec.Limits(1L << 40, 4_194_304, 64L << 30, "1:1"), f.limits());
        assertEquals(new FunctionSpec.Timeouts(Duration.ofMinutes(10), Duration.ofMinutes(10), Duration.ofHours(24)),
                f.timeouts());
    }

    @Test
    void aScheduleMinBeyondTheBoundIsRejectedAtItsField() throws Exception {
        Path file = write("pool.yaml", HELLO
                + "    pool:\n      schedules:\n        - { days: daily, from: \"08:00\", to: \"18:00\", min: 10001 }\n");
        assertEquals(file + ":7: functions.hello.pool.schedules[0].min: must be <= 10000 (was 10001)",
                loadFails(file).getMessage());
    }

    @Test
    void aHostMemoryBeyondOnePebibyteIsRejected() throws Exception {
        Path file = write("pool.yaml", "host:\n  memory: 2p\n" + HELLO);
        assertEquals(file + ":2: host.memory: must be <= 1p (was 2p)", loadFails(file).getMessage());
    }

    @Test
    void minimumsBeyondTheBudgetAreReportedAtTheLineOfHostMemory() throws Exception {
        Path file = write("pool.yaml", "host:\n  memory: 100m\n" + HELLO + "    pool: { min: 2 }\n");
        assertEquals(file + ":2: host.memory: the functions' minimums need 128 MiB, more than the host's memory budget"
                + " of 100 MiB", loadFails(file).getMessage());
    }

    // ---- env, command, image ----

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "FAAS_CONTROL_SOCK", "FAAS_FUNCTION", "FAAS_MODE", "FAAS_STDIO", "FAAS_CLIENT_FD", "FAAS_ANYTHING",
        "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
    })
    void anEnvironmentVariableThePoolSetsItselfIsRejected(String name) throws Exception {
        Path file = write("pool.yaml", HELLO + "    env:\n      LOG_LEVEL: debug\n      " + name + ": x\n");
        assertEquals(file + ":7: functions.hello.env." + name + ": is set by faas-pool itself; names starting with"
                + " FAAS_ or LISTEN_ are reserved", loadFails(file).getMessage());
    }

    @Test
    void anEnvironmentVariableNameAShellWouldNotAcceptIsRejectedAtItsLine() throws Exception {
        Path file = write("pool.yaml", HELLO + "    env:\n      OK: 1\n      \"1BAD-NAME\": x\n");
        assertEquals(file + ":7: functions.hello.env: '1BAD-NAME' is not a variable name; names match"
                + " [A-Za-z_][A-Za-z0-9_]*", loadFails(file).getMessage());
        Path newline = write("n.yaml", HELLO + "    env:\n      \"A\\nB\": x\n");
        ConfigException e = loadFails(newline);
        assertEquals(newline + ":6: functions.hello.env: 'A\\nB' is not a variable name; names match"
                + " [A-Za-z_][A-Za-z0-9_]*", e.getMessage()); // one line of the log, whatever the file quotes
        assertEquals("'A\nB' is not a variable name; names match [A-Za-z_][A-Za-z0-9_]*", e.reason());
    }

    @Test
    void aNulInAnEnvironmentValueIsRejected() throws Exception {
        Path file = write("pool.yaml", HELLO + "    env:\n      GREETING: \"a\\0b\"\n");
        assertEquals(file + ":6: functions.hello.env.GREETING: must not contain a NUL character",
                loadFails(file).getMessage());
    }

    @Test
    void anEnvironmentOfMoreThan64KiBIsRejectedAndOneOfExactly64KiBAccepted() throws Exception {
        // One variable: name (1) + value + 2 = 65536 bytes exactly.
        Path fits = write("fits.yaml", HELLO + "    env:\n      V: \"" + "x".repeat(65_533) + "\"\n");
        assertEquals(65_533, single(load(fits)).env().get("V").length());
        Path file = write("pool.yaml", HELLO + "    env:\n      V: \"" + "x".repeat(65_534) + "\"\n");
        // At the line where the mapping of env starts, as every error about a value.
        assertEquals(file + ":6: functions.hello.env: takes 65537 bytes, more than 65536 (each variable counts its"
                + " name, its value and 2)", loadFails(file).getMessage());
    }

    @Test
    void aCommandBeyondItsBoundsIsRejected() throws Exception {
        Path many = write("many.yaml", HELLO + "    command: [" + String.join(", ", Collections.nCopies(257, "a")) + "]\n");
        assertEquals(many + ":5: functions.hello.command: has 257 arguments, more than 256", loadFails(many).getMessage());
        Path nul = write("nul.yaml", HELLO + "    command: [\"/bin/handler\", \"a\\0b\"]\n");
        assertEquals(nul + ":5: functions.hello.command: argument 1 contains a NUL character",
                loadFails(nul).getMessage());
        Path large = write("large.yaml", HELLO + "    command: [\"" + "x".repeat(65_536) + "\"]\n");
        assertEquals(large + ":5: functions.hello.command: takes 65537 bytes, more than 65536 (each argument counts its"
                + " length and 1)", loadFails(large).getMessage());
        Path most = write("most.yaml", HELLO + "    command: [" + String.join(", ", Collections.nCopies(256, "a")) + "]\n");
        assertEquals(256, single(load(most)).command().size());
    }

    @Test
    void anImageWithWhitespaceOrControlCharactersOrTooLongIsRejected() throws Exception {
        Path space = write("s.yaml", HELLO.replace("faas-hello:latest", "\"faas-hello:latest --privileged\""));
        assertEquals(space + ":3: functions.hello.image: must not contain whitespace or control characters (was"
                + " 'faas-hello:latest --privileged')", loadFails(space).getMessage());
        Path control = write("c.yaml", HELLO.replace("faas-hello:latest", "\"faas-hello\\x1b[2J\""));
        assertEquals(control + ":3: functions.hello.image: must not contain whitespace or control characters (was"
                + " 'faas-hello\\u001b[2J')", loadFails(control).getMessage());
        Path nbsp = write("n.yaml", HELLO.replace("faas-hello:latest", "\"faas-hello\u00a0latest\""));
        assertTrue(loadFails(nbsp).reason().startsWith("must not contain whitespace"));
        Path longest = write("l.yaml", HELLO.replace("faas-hello:latest", "a".repeat(255)));
        assertEquals(255, single(load(longest)).image().length());
        Path tooLong = write("t.yaml", HELLO.replace("faas-hello:latest", "a".repeat(256)));
        assertEquals(tooLong + ":3: functions.hello.image: must be at most 255 characters (was 256)",
                loadFails(tooLong).getMessage());
    }

    // ---- the records reject what the loader does, whoever builds them ----

    @Test
    void theRecordsRejectValuesBeyondTheirBoundsWhenBuiltInCode() {
        Duration ok = Duration.ofSeconds(1);
        assertRejected("acquire must be <= 10m (was PT99999999999H)",
                () -> new FunctionSpec.Timeouts(Duration.ofHours(99_999_999_999L), ok, ok));
        assertRejected("start must be <= 10m (was PT10M0.001S)",
                () -> new FunctionSpec.Timeouts(ok, Duration.ofMillis(600_001), ok));
        assertRejected("request must be <= 24h (was PT24H0.000000001S)",
                () -> new FunctionSpec.Timeouts(ok, ok, Duration.ofHours(24).plusNanos(1)));
        assertRejected("idle-ttl must be <= 30d (was PT720H1S)",
                () -> new FunctionSpec.PoolSize(0, 1, 1, Duration.ofDays(30).plusSeconds(1)));
        assertRejected("max must be <= 10000 (was 10001)", () -> new FunctionSpec.PoolSize(0, 10_001, 1, ok));
        assertRejected("memory must be within 4m..1t (was 9223372035781033984 bytes)",
                () -> new FunctionSpec.Limits(8589934591L << 30, 1, 0, Defaults.USER));
        assertRejected("pids must be within 1..4194304 (was 4194305)",
                () -> new FunctionSpec.Limits(Defaults.MEMORY, 4_194_305, 0, Defaults.USER));
        assertRejected("tmp must be within 0..64g (was 68719476737 bytes)",
                () -> new FunctionSpec.Limits(Defaults.MEMORY, 1, (64L << 30) + 1, Defaults.USER));
        assertRejected("user faas-pool runs functions as an unprivileged user: uid 0 is root (was '0:0')",
                () -> new FunctionSpec.Limits(Defaults.MEMORY, 1, 0, "0:0"));
        assertRejected("memory must be within 0..1p (was 1125899906842625 bytes)",
                () -> new PoolConfig.Host((1L << 50) + 1, ZoneId.of("UTC")));
        assertRejected("min must be within 0..10000 (was 10001)", () -> new Schedule(
                java.util.EnumSet.allOf(java.time.DayOfWeek.class), java.time.LocalTime.NOON, java.time.LocalTime.MIDNIGHT,
                10_001));
        assertRejected("env FAAS_MODE is set by faas-pool itself; names starting with FAAS_ or LISTEN_ are reserved",
                () -> spec(Map.of("FAAS_MODE", "persistent"), List.of(), "img"));
        assertRejected("image must not contain whitespace or control characters (was 'a b')",
                () -> spec(Map.of(), List.of(), "a b"));
        assertRejected("command argument 0 contains a NUL character", () -> spec(Map.of(), List.of("\0"), "img"));
        assertRejected("concurrency above 1 needs mode: persistent (a fork init serves one connection at a time)",
                () -> Specs.function("f").mode(HandlerMode.FORK).concurrency(2).build());
        assertDoesNotThrow(() -> spec(Map.of("LOG_LEVEL", "debug"), List.of("/bin/handler"), "img"));
    }

    @Test
    void theMemoryBudgetSumSaturatesInsteadOfWrappingAround() throws Exception {
        // 1000 functions of 10000 minimum containers of 1 TiB: 1.1e19 bytes, past Long.MAX_VALUE. Wrapped, the sum
        // would be negative and fit any budget.
        List<FunctionSpec> huge = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            huge.add(Specs.function("f" + i).listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 10_000 + i))
                    .scaling(Scaling.FIXED).min(10_000).max(10_000).maxUses(1).idleTtl(Duration.ofMinutes(1))
                    .memory(1L << 40).pids(1).tmp(0)
                    .acquire(Duration.ofSeconds(1)).start(Duration.ofSeconds(1)).request(Duration.ofSeconds(1))
                    .build());
        }
        assertEquals(Long.MAX_VALUE, PoolConfig.minimumsMemory(huge));
        assertEquals(10_000L << 40, PoolConfig.minimumsMemory(huge.subList(0, 1)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PoolConfig(huge, new PoolConfig.Host(1L << 50, ZoneId.of("UTC"))));
        assertTrue(e.getMessage().startsWith("the functions' minimums need 8796093022207 MiB"), e.getMessage());
    }

    // ---- helpers ----

    private static FunctionSpec spec(Map<String, String> env, List<String> command, String image) {
        return Specs.function("f").image(image).command(command).env(new LinkedHashMap<>(env))
                .min(0).max(1).maxUses(1).idleTtl(Duration.ofMinutes(1)).build();
    }

    private static void assertRejected(String message, org.junit.jupiter.api.function.Executable build) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, build).getMessage());
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static PoolConfig load(Path path) throws ConfigException {
        return new ConfigLoader().load(path);
    }

    private static ConfigException loadFails(Path path) {
        return assertThrows(ConfigException.class, () -> load(path));
    }

    private static FunctionSpec single(PoolConfig config) {
        assertEquals(1, config.functions().size(), config.toString());
        return config.functions().get(0);
    }
}
