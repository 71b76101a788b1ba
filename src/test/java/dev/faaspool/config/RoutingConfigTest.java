package dev.faaspool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code http:}, {@code hosts:}, an optional {@code listen:}, and {@code network:}. */
class RoutingConfigTest {
    @TempDir
    Path dir;

    // ---- http and listen ----

    @Test
    void httpIsReadAndFunctionsWithoutListenAreServedThere() throws Exception {
        Path file = write("f.yaml", """
                http: 127.0.0.1:8080
                functions:
                  a:
                    image: img
                    hosts: [API.example.com, "*.apps.example.com"]
                  b:
                    image: img
                    listen: 127.0.0.1:9002
                """);
        PoolConfig c = load(file);
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080), c.http());
        assertNull(c.functions().get(0).listen());
        assertEquals(List.of("api.example.com", "*.apps.example.com"), c.functions().get(0).hosts(),
                "lower-cased, as DNS names compare");
        assertEquals(List.of(), c.functions().get(1).hosts());
        assertNull(c.routingProblem());
    }

    @Test
    void httpInTwoFilesIsAnErrorNamingBoth() throws Exception {
        Path a = write("a.yaml", "http: 127.0.0.1:8080\n" + function("one", 9001));
        Path b = write("b.yaml", "http: 127.0.0.1:8081\n" + function("two", 9002));
        assertError(fails(dir), b, 1, "http", "is also set in " + a + "; set it in one file");
    }

    @Test
    void aFunctionWithoutListenNeedsHttpOnceItIsSetOrGiven() throws Exception {
        Path file = write("f.yaml", "functions:\n  a:\n    image: img\n");
        PoolConfig c = load(file); // --http may still come
        assertTrue(c.routingProblem().startsWith("function a has no listen address and there is no front listener"));
        InetSocketAddress http = new InetSocketAddress(InetAddress.getLoopbackAddress(), 8088);
        PoolConfig given = c.withHttp(http);
        assertEquals(http, given.http());
        assertNull(given.routingProblem());
        assertEquals(http, given.withMin(1).http(), "withMin keeps the front listener");
    }

    @Test
    void httpOnAFunctionsListenAddressIsAnErrorAtHttp() throws Exception {
        Path file = write("f.yaml", "http: 127.0.0.1:9001\n" + function("one", 9001));
        assertError(fails(file), file, 1, "http", "http 127.0.0.1:9001 is also the listen address of function one");
        // The same rule for an address the command line gives.
        PoolConfig c = load(write("f.yaml", function("one", 9001)));
        assertEquals("http 127.0.0.1:9001 is also the listen address of function one",
                c.withHttp(c.functions().getFirst().listen()).routingProblem());
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"\"", "127.0.0.1:0x50", "127.0.0.1:70000", "\"[::1\"", "::1:80"})
    void aBadHttpAddressIsAnErrorAtItsLine(String value) throws Exception {
        Path file = write("f.yaml", function("one", 9001) + "http: " + value + "\n");
        ConfigException e = fails(file);
        assertEquals(5, e.line());
        assertEquals("http", e.field());
    }

    // ---- hosts ----

    @Test
    void aHostClaimedByTwoFunctionsIsAnErrorNamingBoth() throws Exception {
        Path a = write("a.yaml", "functions:\n  one:\n    image: img\n    hosts: [api.example.com]\n");
        Path b = write("b.yaml", "functions:\n  two:\n    image: img\n    hosts: [www.example.com, Api.Example.com]\n");
        assertError(fails(dir), b, 4, "functions.two.hosts",
                "host api.example.com is also claimed by functions.one in " + a);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PoolConfig(List.of(
                Specs.function("one").hosts(List.of("x.example.com")).build(),
                Specs.function("two").listen(null).hosts(List.of("x.example.com")).build())));
        assertEquals("host x.example.com is claimed by both one and two", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"api.example.com:8080", "-api.example.com", "api..example.com", "api.example.com.",
            "a*.example.com", "\"*.com\"", "\"*\"", "api_x.example.com", "xn--ü.example.com", "\"a b\"",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com", "\"\""})
    void aHostThatIsNoDnsNameIsRejected(String host) throws Exception {
        Path file = write("f.yaml", "functions:\n  one:\n    image: img\n    hosts: [" + host + "]\n");
        ConfigException e = fails(file);
        assertEquals(4, e.line());
        assertEquals("functions.one.hosts", e.field());
    }

    @Test
    void aHostTwiceInOneFunctionOrAScalarIsRejected() throws Exception {
        Path file = write("f.yaml", "functions:\n  one:\n    image: img\n    hosts: [a.example.com, A.example.com]\n");
        assertError(fails(file), file, 4, "functions.one.hosts", "names a.example.com twice");
        write("f.yaml", "functions:\n  one:\n    image: img\n    hosts: a.example.com\n");
        assertEquals("functions.one.hosts", fails(file).field());
    }

    @Test
    void hostMatchingIsExactOrOneWildcardLabelDeep() {
        assertTrue(HostNames.matches("api.example.com", "api.example.com"));
        assertTrue(HostNames.matches("*.example.com", "a.example.com"));
        assertTrue(HostNames.matches("*.example.com", "a.b.example.com"));
        assertFalse(HostNames.matches("*.example.com", "example.com"));
        assertFalse(HostNames.matches("*.example.com", "badexample.com"));
        assertEquals("api.example.com", HostNames.ofHeader(" API.example.com:8080"));
        assertEquals("api.example.com", HostNames.ofHeader("api.example.com."));
        assertNull(HostNames.ofHeader("[::1]:8080"));
        assertNull(HostNames.ofHeader("evil host"));
        assertNull(HostNames.ofHeader(""));
        assertNull(HostNames.ofHeader("*.example.com"));
    }

    // ---- network ----

    @Test
    void networkDefaultsToNoneAndNamesADockerNetwork() throws Exception {
        Path file = write("f.yaml", function("one", 9001) + "    network: backend_net-1.x\n" + function("two", 9002)
                .replace("functions:\n", ""));
        PoolConfig c = load(file);
        assertEquals("backend_net-1.x", c.functions().get(0).network());
        assertEquals("none", c.functions().get(1).network());
    }

    @Test
    void hostAndContainerNetworksAreRefusedWithTheReason() throws Exception {
        Path file = write("f.yaml", function("one", 9001) + "    network: host\n");
        assertError(fails(file), file, 5, "functions.one.network", "host is refused: the container would share the"
                + " host's network namespace (every port the host listens on, loopback included); name a Docker"
                + " network instead");
        write("f.yaml", function("one", 9001) + "    network: container:db\n");
        assertTrue(fails(file).reason().startsWith("container:... is refused"));
        write("f.yaml", function("one", 9001) + "    network: \"bad name\"\n");
        assertTrue(fails(file).reason().startsWith("must be none or a Docker network name"));
        assertThrows(IllegalArgumentException.class, () -> Specs.function("f").network("host").build(),
                "a spec built in code cannot bypass it");
    }

    // ---- every error, not the first ----

    @Test
    void everyErrorOfEveryFileIsReportedOnePerFunction() throws Exception {
        Path a = write("a.yaml", """
                functions:
                  one:
                    image: img
                    listen: 127.0.0.1:9001
                    limits: { memory: 12q, pids: 0 }
                  two:
                    image: img
                    network: host
                  three:
                    image: img
                    listen: 127.0.0.1:9003
                """);
        Path b = write("b.yaml", "functions:\n  four:\n   image: bad-indent\n  x: [\n");
        Path c = write("c.yaml", "functinos: {}\n" + function("five", 9003));
        ConfigException e = fails(dir);
        List<String> lines = e.problems().stream().map(ConfigException::getMessage).toList();
        assertEquals(5, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).startsWith(a + ":5: functions.one.limits.memory: "), lines.get(0));
        assertTrue(lines.get(1).startsWith(a + ":8: functions.two.network: host is refused"), lines.get(1));
        assertTrue(lines.get(2).startsWith(b + ":"), lines.get(2));
        assertTrue(lines.get(3).startsWith(c + ":1: functinos: unknown field"), lines.get(3));
        assertTrue(lines.get(4).startsWith(c + ":4: functions.five: listen address 127.0.0.1:9003 is already used by"
                + " functions.three in " + a), lines.get(4));
        assertEquals(String.join("\n", lines), e.getMessage(), "one line per problem");
        assertEquals(a, e.file(), "the accessors are the first problem's");
        assertEquals(5, e.line());
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static String function(String name, int port) {
        return "functions:\n  " + name + ":\n    image: img\n    listen: 127.0.0.1:" + port + "\n";
    }

    private static PoolConfig load(Path path) throws ConfigException {
        return new ConfigLoader().load(path);
    }

    private static ConfigException fails(Path path) {
        return assertThrows(ConfigException.class, () -> load(path));
    }

    private static void assertError(ConfigException e, Path file, int line, String field, String reason) {
        assertEquals(file + ":" + line + ": " + field + ": " + reason, e.getMessage());
        assertEquals(file, e.file());
        assertEquals(line, e.line());
        assertEquals(field, e.field());
    }
}
