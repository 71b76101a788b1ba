package dev.faaspool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    /** A minimal valid function "hello" on 127.0.0.1:8080; lines 1-4, so added fields start on line 5. */
    private static final String HELLO = """
            functions:
              hello:
                image: faas-hello:latest
                listen: 127.0.0.1:8080
            """;

    @TempDir
    Path dir;

    // ---- valid configurations ----

    @Test
    void everyFieldOfAFunctionIsReadIntoItsSpec() throws Exception {
        Path file = write("api.yaml", """
                functions:
                  api:
                    image: registry.local/api:1.2
                    command: ["/bin/handler", "--verbose", "two words"]
                    env:
                      LOG_LEVEL: debug
                      GREETING: "hello world"
                    listen: 127.0.0.1:9001
                    mode: fork
                    stdio: true
                    pool:
                      min: 3
                      max: 7
                      max-uses: 50
                      idle-ttl: 90s
                    limits:
                      memory: 128m
                      pids: 32
                      tmp: 0
                      user: "1000:1001"
                    timeouts:
                      acquire: 750ms
                      start: 2m
                      request: 45s
                """);

        PoolConfig config = load(file);

        FunctionSpec expected = Specs.function("api").image("registry.local/api:1.2")
                .command(List.of("/bin/handler", "--verbose", "two words"))
                .env(Map.of("LOG_LEVEL", "debug", "GREETING", "hello world"))
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 9001)).mode(HandlerMode.FORK).stdio(true)
                .min(3).max(7).maxUses(50).idleTtl(Duration.ofSeconds(90))
                .memory(128L << 20).pids(32).tmp(0).user("1000:1001")
                .acquire(Duration.ofMillis(750)).start(Duration.ofMinutes(2)).request(Duration.ofSeconds(45))
                .build();
        assertEquals(List.of(expected), config.functions());
        assertEquals(1000, config.functions().get(0).limits().uid());
        assertEquals(1001, config.functions().get(0).limits().gid());
    }

    @Test
    void aMinimalFunctionGetsTheDocumentedDefaults() throws Exception {
        FunctionSpec f = single(load(write("hello.yaml", HELLO)));

        assertEquals("hello", f.name());
        assertEquals("faas-hello:latest", f.image());
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), f.listen());
        assertEquals(List.of(), f.command());
        assertEquals(Map.of(), f.env());
        assertEquals(HandlerMode.ONESHOT, f.mode());
        assertEquals(new FunctionSpec.PoolSize(Defaults.MIN, Defaults.MAX, Defaults.MAX_USES, Defaults.IDLE_TTL), f.pool());
        assertEquals(new FunctionSpec.Limits(Defaults.MEMORY, Defaults.PIDS, Defaults.TMP, Defaults.USER), f.limits());
        assertEquals(new FunctionSpec.Timeouts(Defaults.ACQUIRE, Defaults.START, Defaults.REQUEST), f.timeouts());
    }

    /** What the tests build with {@link Specs} is what a configuration file declaring the same gives. */
    @Test
    void specsTakeTheDefaultsTheLoaderGivesAFunctionEntry() throws Exception {
        Path empty = write("empty.yaml", "functions:\n  f:\n    image: img\n    listen: 127.0.0.1:8080\n");
        assertEquals(List.of(Specs.function("f").build()), load(empty).functions());
        // The defaults that follow another setting: max, prewarm, initial, queued, the sandbox.
        Path derived = write("derived.yaml", """
                functions:
                  f:
                    image: img
                    listen: 127.0.0.1:8080
                    mode: persistent
                    pool: { min: 20, scaling: fixed }
                    admission: { connections: 100 }
                """);
        assertEquals(List.of(Specs.function("f").mode(HandlerMode.PERSISTENT).min(20).scaling(Scaling.FIXED)
                .connections(100).build()), load(derived).functions());
    }

    @Test
    void aWarmSizeAboveTheDefaultMaxRaisesMaxToIt() throws Exception {
        FunctionSpec f = single(load(write("f.yaml", HELLO + "    pool: { min: 20 }\n")));
        assertEquals(new FunctionSpec.PoolSize(20, 20, Defaults.MAX_USES, Defaults.IDLE_TTL), f.pool());
    }

    @Test
    void functionsOfOneFileKeepTheirDeclarationOrder() throws Exception {
        Path file = write("f.yaml", """
                functions:
                  zeta:
                    image: z
                    listen: 127.0.0.1:9003
                  alpha:
                    image: a
                    listen: 127.0.0.1:9001
                """);
        assertEquals(List.of("zeta", "alpha"), names(load(file)));
    }

    @Test
    void aDirectoryIsReadAsItsYamlFilesInNameOrderIgnoringOtherFiles() throws Exception {
        write("20-second.yaml", function("second", 9002));
        write("10-first.yml", function("first", 9001));
        write("30-third.YAML", function("third", 9003));
        write("README.md", "functions: [this is: not: valid yaml\n");
        write("old.yaml.bak", function("backup", 9009));
        Files.createDirectory(dir.resolve("sub.yaml"));

        assertEquals(List.of("first", "second", "third"), names(load(dir)));
    }

    // ---- unknown fields ----

    @Test
    void anUnknownTopLevelFieldIsRejectedNamingTheAllowedOnes() throws Exception {
        Path file = write("f.yaml", HELLO + "function: {}\n");
        assertError(loadFails(file), file, 5, "function", "unknown field; expected one of functions, host, http");
    }

    @Test
    void anUnknownFunctionFieldIsRejectedNamingTheAllowedOnes() throws Exception {
        Path file = write("f.yaml", HELLO + "    imgae: typo\n");
        assertError(loadFails(file), file, 5, "functions.hello.imgae",
                "unknown field; expected one of admission, command, concurrency, env, env-file, hosts, image, isolation,"
                        + " limits, listen, mode, network, pool, runtime, seccomp, stdio, timeouts");
    }

    @Test
    void concurrencyIsReadAndNeedsPersistentMode() throws Exception {
        FunctionSpec f = single(load(write("c.yaml", HELLO + "    mode: persistent\n    concurrency: 8\n")));
        assertEquals(8, f.concurrency());
        assertEquals(1, single(load(write("d.yaml", HELLO))).concurrency());
        Path fork = write("f.yaml", HELLO + "    concurrency: 2\n");
        assertError(loadFails(fork), fork, 5, "functions.hello.concurrency",
                "above 1 needs mode: persistent (a oneshot init serves one connection at a time)");
        Path big = write("b.yaml", HELLO + "    mode: persistent\n    concurrency: 1001\n");
        assertError(loadFails(big), big, 6, "functions.hello.concurrency", "must be <= 1000 (was 1001)");
    }

    @Test
    void theSandboxAndTheNewLimitsAreReadWithTheirDefaultsAndBounds() throws Exception {
        FunctionSpec d = single(load(write("d.yaml", HELLO + "    mode: fork\n")));
        assertEquals(new FunctionSpec.Sandbox(Isolation.REQUEST, Seccomp.FAAS, "runc"), d.sandbox());
        assertEquals(Defaults.MILLI_CPUS, d.limits().milliCpus());
        assertEquals(Defaults.SHM, d.limits().shmBytes());
        assertEquals(Defaults.NOFILE, d.limits().nofile());
        assertEquals(Isolation.CONTAINER,
                single(load(write("p.yaml", HELLO + "    mode: persistent\n"))).sandbox().isolation());
        FunctionSpec f = single(load(write("f.yaml", HELLO + """
                    mode: fork
                    isolation: container
                    seccomp: default
                    runtime: runc
                    limits: { cpus: 0.25, shm: 0, nofile: 256 }
                """)));
        assertEquals(new FunctionSpec.Sandbox(Isolation.CONTAINER, Seccomp.DEFAULT, "runc"), f.sandbox());
        assertEquals(250, f.limits().milliCpus());
        assertEquals(0, f.limits().shmBytes());
        assertEquals(256, f.limits().nofile());

        Path persistentRequest = write("a.yaml", HELLO + "    mode: persistent\n    isolation: request\n");
        assertError(loadFails(persistentRequest), persistentRequest, 6, "functions.hello.isolation",
                "request needs mode fork or oneshot: a persistent handler is one process for many requests");
        Path seccomp = write("b.yaml", HELLO + "    seccomp: none\n");
        assertError(loadFails(seccomp), seccomp, 5, "functions.hello.seccomp",
                "must be faas, default or unconfined-not-recommended (was 'none')");
        Path runtime = write("c.yaml", HELLO + "    runtime: kata\n");
        assertError(loadFails(runtime), runtime, 5, "functions.hello.runtime", "must be one of [runc] (was 'kata')");
        Path runsc = write("r.yaml", HELLO + "    runtime: runsc\n");
        assertError(loadFails(runsc), runsc, 5, "functions.hello.runtime", "runsc (gVisor) cannot take the client's TCP"
                + " connection: it imports only Unix sockets passed with SCM_RIGHTS (runtime-init/RUNSC.md)");
        Path cpus = write("e.yaml", HELLO + "    limits: { cpus: 0.0001 }\n");
        assertError(loadFails(cpus), cpus, 5, "functions.hello.limits.cpus",
                "must be a number of CPUs such as 1 or 0.5, at most three decimals (was '0.0001')");
        Path tiny = write("g.yaml", HELLO + "    limits: { cpus: 0.005 }\n");
        assertError(loadFails(tiny), tiny, 5, "functions.hello.limits.cpus", "must be within 0.01..1024 (was 0.005)");
        Path nofile = write("h.yaml", HELLO + "    limits: { nofile: 4 }\n");
        assertError(loadFails(nofile), nofile, 5, "functions.hello.limits.nofile", "must be >= 16 (was 4)");
    }

    @Test
    void anUnknownPoolFieldIsRejectedNamingTheAllowedOnes() throws Exception {
        Path file = write("f.yaml", HELLO + "    pool:\n      min: 1\n      mn: 1\n");
        assertError(loadFails(file), file, 7, "functions.hello.pool.mn", "unknown field; expected one of idle-ttl, initial, max, max-uses, min, prewarm, scaling, schedules");
    }

    @Test
    void schedulesPrewarmAndTheHostAreRead() throws Exception {
        Path file = write("f.yaml", """
                host:
                  memory: 2g
                  timezone: Europe/Berlin
                functions:
                  hello:
                    image: faas-hello:latest
                    listen: 127.0.0.1:8080
                    pool:
                      min: 1
                      max: 40
                      prewarm: off
                      schedules:
                        - { days: mon-fri, from: "08:00", to: "18:00", min: 30 }
                        - days: sat,sun
                          from: "22:00"
                          to: "2:00"
                          min: 2
                """);
        PoolConfig c = load(file);
        assertEquals(new PoolConfig.Host(2L << 30, java.time.ZoneId.of("Europe/Berlin")), c.host());
        FunctionSpec.PoolSize p = single(c).pool();
        assertEquals(Prewarm.OFF, p.prewarm());
        assertEquals(List.of(
                new Schedule(java.util.EnumSet.range(java.time.DayOfWeek.MONDAY, java.time.DayOfWeek.FRIDAY),
                        java.time.LocalTime.of(8, 0), java.time.LocalTime.of(18, 0), 30),
                new Schedule(java.util.EnumSet.of(java.time.DayOfWeek.SATURDAY, java.time.DayOfWeek.SUNDAY),
                        java.time.LocalTime.of(22, 0), java.time.LocalTime.of(2, 0), 2)), p.schedules());
        assertEquals(Scaling.DEMAND, p.scaling());
    }

    @Test
    void aScheduleWithBadDaysOrTimesIsRejectedAtItsField() throws Exception {
        Path days = write("d.yaml", HELLO + "    pool:\n      schedules:\n        - { days: weekdays, from: \"08:00\", to: \"18:00\", min: 3 }\n");
        assertError(loadFails(days), days, 7, "functions.hello.pool.schedules[0].days",
                "'weekdays' is not a set of days; use three-letter days with , and -, for example mon-fri or sat,sun, or daily");
        Path time = write("t.yaml", HELLO + "    pool:\n      schedules:\n        - { days: daily, from: \"8am\", to: \"18:00\", min: 3 }\n");
        assertError(loadFails(time), time, 7, "functions.hello.pool.schedules[0].from",
                "'8am' is not a time of day, for example 08:00 or 18:30");
    }

    @Test
    void minimumsThatDoNotFitTheMemoryBudgetAreRejected() throws Exception {
        Path file = write("f.yaml", "host:\n  memory: 100m\n" + HELLO + "    pool: { min: 2 }\n");
        ConfigException e = loadFails(file);
        assertEquals("host.memory", e.field());
        assertEquals("the functions' minimums need 128 MiB, more than the host's memory budget of 100 MiB", e.reason());
    }

    @Test
    void theHostMayBeSetInOneFileOnly() throws Exception {
        write("a.yaml", "host:\n  memory: 1g\n" + function("one", 9001));
        Path second = write("b.yaml", "host:\n  memory: 2g\n" + function("two", 9002));
        ConfigException e = loadFails(dir);
        assertEquals(second, e.file());
        assertEquals("host", e.field());
        assertTrue(e.reason().startsWith("is also set in "), e.reason());
    }

    @Test
    void theOldNameWarmIsRejectedNamingItsNewName() throws Exception {
        Path file = write("f.yaml", HELLO + "    pool:\n      warm: 1\n");
        assertError(loadFails(file), file, 6, "functions.hello.pool.warm",
                "is now called min: the warm containers kept at least, whatever the demand");
    }

    @Test
    void anUnknownLimitsFieldIsRejectedNamingTheAllowedOnes() throws Exception {
        Path file = write("f.yaml", HELLO + "    limits:\n      cpu: 2\n");
        assertError(loadFails(file), file, 6, "functions.hello.limits.cpu",
                "unknown field; expected one of cpus, memory, nofile, pids, shm, tmp, user");
    }

    @Test
    void anUnknownTimeoutsFieldIsRejectedNamingTheAllowedOnes() throws Exception {
        Path file = write("f.yaml", HELLO + "    timeouts:\n      idle: 5s\n");
        assertError(loadFails(file), file, 6, "functions.hello.timeouts.idle",
                "unknown field; expected one of acquire, first-byte, request, start");
    }

    // ---- wrong values, reported at the value's line ----

    @Test
    void aNegativeMinIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + "    pool:\n      min: -1\n");
        assertError(loadFails(file), file, 6, "functions.hello.pool.min", "must be >= 0 (was -1)");
    }

    @Test
    void aZeroMaxIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + "    pool:\n      min: 0\n      max: 0\n");
        assertError(loadFails(file), file, 7, "functions.hello.pool.max", "must be >= 1 (was 0)");
    }

    @Test
    void initialDefaultsToOneWithDemandScalingAndZeroForAFixedPool() throws Exception {
        assertEquals(Defaults.INITIAL, single(load(write("d.yaml", HELLO + "    pool:\n      min: 0\n"))).pool().initial());
        assertEquals(0, single(load(write("f.yaml", HELLO + "    pool:\n      scaling: fixed\n"))).pool().initial());
        assertEquals(3, single(load(write("i.yaml", HELLO + "    pool:\n      initial: 3\n"))).pool().initial());
    }

    @Test
    void initialAboveMaxIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + "    pool:\n      max: 2\n      initial: 3\n");
        assertError(loadFails(file), file, 7, "functions.hello.pool.initial", "must be <= max (was 3, max 2)");
    }

    @Test
    void initialOnAFixedPoolIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + "    pool:\n      scaling: fixed\n      initial: 1\n");
        assertError(loadFails(file), file, 7, "functions.hello.pool.initial", "needs scaling: demand (a fixed pool keeps min)");
    }

    @Test
    void anUnknownScalingOrPrewarmIsRejectedNamingTheAllowedOnes() throws Exception {
        Path scaling = write("s.yaml", HELLO + "    pool:\n      scaling: auto\n");
        assertError(loadFails(scaling), scaling, 6, "functions.hello.pool.scaling", "must be demand or fixed (was 'auto')");
        Path prewarm = write("p.yaml", HELLO + "    pool:\n      prewarm: always\n");
        assertError(loadFails(prewarm), prewarm, 6, "functions.hello.pool.prewarm", "must be learned or off (was 'always')");
    }

    @Test
    void learnedPrewarmingOnAFixedPoolIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + "    pool:\n      scaling: fixed\n      prewarm: learned\n");
        assertError(loadFails(file), file, 7, "functions.hello.pool.prewarm", "learned pre-warming needs scaling: demand");
        assertEquals(Prewarm.OFF, single(load(write("o.yaml", HELLO + "    pool:\n      scaling: fixed\n"))).pool().prewarm(),
                "a fixed pool's prewarm defaults to off");
    }

    @Test
    void aMinThatIsNotANumberIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + "    pool:\n      min: two\n");
        assertError(loadFails(file), file, 6, "functions.hello.pool.min", "'two' is not a whole number");
    }

    @Test
    void memoryBelowDockersMinimumIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + "    limits:\n      memory: 1m\n");
        assertError(loadFails(file), file, 6, "functions.hello.limits.memory", "must be at least 4m, Docker's minimum");
    }

    @Test
    void aMemorySizeWithAnUnknownUnitIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + "    limits:\n      memory: 12q\n");
        assertError(loadFails(file), file, 6, "functions.hello.limits.memory",
                "'12q' is not a size; use a number of bytes with k, m, g, t or p (binary: 64m is 64Mi),"
                        + " for example 64m or 64Mi");
    }

    @Test
    void zeroPidsIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + "    limits:\n      pids: 0\n");
        assertError(loadFails(file), file, 6, "functions.hello.limits.pids", "must be >= 1 (was 0)");
    }

    @Test
    void aUserNameInsteadOfANumericUidIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + "    limits:\n      user: \"nobody\"\n");
        assertError(loadFails(file), file, 6, "functions.hello.limits.user",
                "must be uid or uid:gid in numbers, for example \"65534:65534\" (was 'nobody')");
    }

    @Test
    void aUidBeyondTheRangeOfUidsIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + "    limits:\n      user: \"99999999999\"\n");
        assertError(loadFails(file), file, 6, "functions.hello.limits.user",
                "must be uid or uid:gid in numbers, for example \"65534:65534\" (was '99999999999')");
    }

    @Test
    void aZeroTimeoutIsRejectedAtItsField() throws Exception {
        Path file = write("f.yaml", HELLO + "    timeouts:\n      acquire: 0s\n");
        assertError(loadFails(file), file, 6, "functions.hello.timeouts.acquire", "must be longer than 0");
    }

    @Test
    void aDurationTooLongForJavaIsRejectedAsAConfigErrorStatingTheBound() throws Exception {
        Path file = write("f.yaml", HELLO + "    timeouts:\n      start: 9223372036854775807h\n");
        assertError(loadFails(file), file, 6, "functions.hello.timeouts.start",
                "must be <= 10m (was 9223372036854775807h)");
    }

    @Test
    void aDurationWithoutAUnitIsRejectedNamingTheAcceptedForm() throws Exception {
        Path file = write("f.yaml", HELLO + "    timeouts:\n      acquire: \"5\"\n");
        assertError(loadFails(file), file, 6, "functions.hello.timeouts.acquire",
                "'5' is not a duration; use a number with ms, s, m, h or d, for example 250ms or 5s");
    }

    @Test
    void anUnknownHandlerModeIsRejectedNamingTheKnownOnes() throws Exception {
        Path file = write("f.yaml", HELLO + "    mode: forking\n");
        assertError(loadFails(file), file, 5, "functions.hello.mode",
                "'forking' is not a handler mode; expected one of oneshot, fork, persistent");
    }

    @Test
    void aListenPortOutOfRangeIsRejected() throws Exception {
        Path file = write("f.yaml", """
                functions:
                  hello:
                    image: faas-hello:latest
                    listen: nohost:99999
                """);
        assertError(loadFails(file), file, 4, "functions.hello.listen", "port must be within 1..65535 (was 99999)");
    }

    @Test
    void aListenAddressWithoutAPortIsRejected() throws Exception {
        Path file = write("f.yaml", """
                functions:
                  hello:
                    image: faas-hello:latest
                    listen: localhost:http
                """);
        assertError(loadFails(file), file, 4, "functions.hello.listen",
                "'localhost:http' is not host:port, for example 127.0.0.1:8080");
    }

    @Test
    void anInvalidFunctionNameIsRejected() throws Exception {
        Path file = write("f.yaml", """
                functions:
                  Hello_World:
                    image: x
                    listen: 127.0.0.1:8080
                """);
        assertError(loadFails(file), file, 3, "functions.Hello_World",
                "function names must match [a-z0-9][a-z0-9-]{0,39} (lower case, digits, '-')");
    }

    // ---- rules across fields, reported where the section starts ----

    @Test
    void minAboveMaxIsRejectedStatingTheRule() throws Exception {
        Path file = write("f.yaml", HELLO + "    pool: { min: 5, max: 2 }\n");
        assertError(loadFails(file), file, 5, "functions.hello.pool", "min must be <= max (was min 5, max 2)");
    }

    @Test
    void aMissingImageIsRejected() throws Exception {
        Path file = write("f.yaml", """
                functions:
                  hello:
                    listen: 127.0.0.1:8080
                """);
        assertError(loadFails(file), file, 3, "functions.hello.image", "is required");
    }

    @Test
    void anEmptyImageIsRejected() throws Exception {
        Path file = write("f.yaml", """
                functions:
                  hello:
                    image: "  "
                    listen: 127.0.0.1:8080
                """);
        assertError(loadFails(file), file, 3, "functions.hello.image", "must not be empty");
    }

    @Test
    void aFunctionWithoutListenLoadsForTheFrontListenerToServe() throws Exception {
        Path file = write("f.yaml", """
                functions:
                  hello:
                    image: faas-hello:latest
                """);
        PoolConfig config = load(file);
        assertNull(single(config).listen());
        assertNull(config.http());
        // Without http: in the files, --http may still give the address: the loader leaves that to routingProblem.
        assertEquals("function hello has no listen address and there is no front listener: set http: HOST:PORT"
                + " (or --http), or give it a listen address", config.routingProblem());
    }

    @Test
    void anEmptyListenAddressIsRejectedWithAnExample() throws Exception {
        Path file = write("f.yaml", """
                functions:
                  hello:
                    image: faas-hello:latest
                    listen: ""
                """);
        assertError(loadFails(file), file, 4, "functions.hello.listen",
                "must be the address clients connect to, for example 127.0.0.1:8080");
    }

    @Test
    void aKeyTwiceInOneMappingIsRejectedAtItsSecondOccurrence() throws Exception {
        Path file = write("f.yaml", HELLO + "    image: other:latest\n");
        assertError(loadFails(file), file, 5, "functions.hello.image", "appears twice (first on line 3)");
    }

    @Test
    void theSameFunctionNameInTwoFilesIsRejectedNamingTheOtherFile() throws Exception {
        Path first = write("a.yaml", function("hello", 9001));
        Path second = write("b.yaml", function("hello", 9002));
        assertError(loadFails(dir), second, 3, "functions.hello", "function 'hello' is also declared in " + first);
    }

    @Test
    void theSameListenAddressForTwoFunctionsIsRejected() throws Exception {
        Path file = write("f.yaml", HELLO + """
                  other:
                    image: other:latest
                    listen: 127.0.0.1:8080
                """);
        assertError(loadFails(file), file, 6, "functions.other",
                "listen address 127.0.0.1:8080 is already used by functions.hello");
    }

    @Test
    void theSameListenAddressInTwoFilesIsRejected() throws Exception {
        write("a.yaml", function("one", 9001));
        Path second = write("b.yaml", function("two", 9001));
        assertError(loadFails(dir), second, 3, "functions.two",
                "listen address 127.0.0.1:9001 is already used by functions.one in " + dir.resolve("a.yaml"));
    }

    // ---- files that cannot be used at all ----

    @Test
    void invalidYamlIsRejectedAtTheLineOfTheProblem() throws Exception {
        Path file = write("f.yaml", """
                functions:
                  hello:
                    image: faas-hello:latest
                   listen: 127.0.0.1:8080
                """);
        ConfigException e = loadFails(file);
        assertEquals(file, e.file());
        assertEquals(4, e.line());
        assertNull(e.field());
        assertTrue(e.getMessage().startsWith(file + ":4: not valid YAML: "), e.getMessage());
    }

    @Test
    void anEmptyDirectoryIsRejected() throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Files.writeString(empty.resolve("notes.txt"), "not a config");
        ConfigException e = loadFails(empty);
        assertEquals(empty + ": the directory holds no .yaml file", e.getMessage());
        assertEquals(empty, e.file());
        assertEquals(0, e.line());
        assertNull(e.field());
    }

    @Test
    void aNonexistentPathIsRejected() throws Exception {
        Path missing = dir.resolve("missing.yaml");
        ConfigException e = loadFails(missing);
        assertEquals(missing + ": no such file or directory", e.getMessage());
        assertEquals(missing, e.file());
        assertEquals(0, e.line());
        assertNull(e.field());
    }

    @Test
    void aFileWithoutFunctionsIsRejected() throws Exception {
        Path file = write("f.yaml", "functions: {}\n");
        ConfigException e = loadFails(file);
        assertEquals(file + ": functions: no function is declared", e.getMessage());
        assertEquals(0, e.line());
        assertEquals("functions", e.field());
    }

    @Test
    void anEmptyFileIsRejectedAsDeclaringNoFunction() throws Exception {
        Path file = write("f.yaml", "# nothing yet\n");
        assertEquals(file + ": functions: no function is declared", loadFails(file).getMessage());
    }

    // ---- helpers ----

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static String function(String name, int port) {
        return "functions:\n  " + name + ":\n    image: " + name + ":latest\n    listen: 127.0.0.1:" + port + "\n";
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

    private static List<String> names(PoolConfig config) {
        return config.functions().stream().map(FunctionSpec::name).toList();
    }

    private static void assertError(ConfigException e, Path file, int line, String field, String reason) {
        assertEquals(file + ":" + line + ": " + field + ": " + reason, e.getMessage());
        assertEquals(file, e.file());
        assertEquals(line, e.line());
        assertEquals(field, e.field());
        assertEquals(reason, e.reason());
    }
}
