package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On the real engine: an env-file's value reaches the handler and nothing faas-pool prints; network: is joined. */
class EnvFileNetworkIT {
    /** A oneshot handler that answers with the value of API_TOKEN in its environment. */
    private static final String ECHO_TOKEN = """
            image: faas-example-python:latest
            command:
              - python3
              - -c
              - |
                import os, socket
                s = socket.fromfd(int(os.environ['FAAS_CLIENT_FD']), socket.AF_INET, socket.SOCK_STREAM)
                s.recv(65536)
                b = os.environ.get('API_TOKEN', 'unset').encode()
                s.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n' % len(b) + b)
                s.close()
            env-file: secrets/api.env
            pool: { min: 1, max: 2, scaling: fixed }
            """;

    @TempDir
    Path work;
    private final OneFunction fn = new OneFunction();
    private String network;

    @AfterEach
    void cleanUp() throws Exception {
        fn.close(); // its containers are removed first: a network with containers on it cannot be removed
        if (network != null) {
            Docker.run("network", "rm", network);
        }
    }

    @Test
    void anEnvFileValueReachesTheHandlerAndNoOutputOrEndpoint() throws Exception {
        String secret = "it-s3cr3t-" + UUID.randomUUID();
        Files.createDirectories(work.resolve("secrets"));
        Files.writeString(work.resolve("secrets/api.env"), "# the API's token\nAPI_TOKEN=" + secret + "\n");
        PoolProcess pool = fn.start(work, "envfile", ECHO_TOKEN);
        pool.awaitStdout(Pattern.compile("fn: 1/1 warm"), Duration.ofSeconds(60));
        for (int i = 0; i < 3; i++) { // oneshot: each request a new container, each with the value
            HttpProbe.Response r = HttpProbe.get(fn.address(), "/", 30_000);
            assertEquals(200, r.status(), r.toString());
            assertEquals(secret, r.body());
        }
        String status = pool.status().toString();
        assertTrue(status.contains("\"fn\""), status);
        for (String printed : List.of(status, pool.stdout(), pool.stderr())) {
            assertFalse(printed.contains(secret), printed);
        }
    }

    @Test
    void aFunctionJoinsItsNamedNetworkAndAMissingOneStopsTheStart() throws Exception {
        network = "it-config-" + UUID.randomUUID().toString().substring(0, 8);
        Docker.run("network", "create", "--internal", network);
        PoolProcess pool = fn.start(work, "network", """
                image: faas-hello:latest
                network: %s
                pool: { min: 1, max: 1, scaling: fixed }
                """.formatted(network));
        pool.awaitStdout(Pattern.compile("fn: 1/1 warm"), Duration.ofSeconds(60));
        String id = Docker.runningOf(pool.instance).getFirst();
        assertEquals(List.of(network), Docker.run("inspect", "-f", "{{.HostConfig.NetworkMode}}", id));
        assertEquals(200, HttpProbe.get(fn.address(), "/", 30_000).status());
        fn.close();

        String missing = network + "-missing";
        PoolProcess refused = fn.start(work, "nonet", """
                image: faas-hello:latest
                network: %s
                pool: { min: 1, max: 1, scaling: fixed }
                """.formatted(missing));
        assertEquals(1, refused.awaitExit(Duration.ofSeconds(30)));
        assertTrue(refused.stderr().contains("function 'fn': network " + missing + " does not exist"),
                refused.stderr());
        assertEquals(List.of(), Docker.containersOf(refused.instance));
    }

    @Test
    void theHostNetworkIsRefusedBeforeAnythingStarts() throws Exception {
        PoolProcess pool = fn.start(work, "hostnet", "image: faas-hello:latest\nnetwork: host\n");
        assertEquals(2, pool.awaitExit(Duration.ofSeconds(30)));
        assertTrue(pool.stderr().contains(work.resolve("pool.yaml") + ":5: functions.fn.network: host is refused"),
                pool.stderr());
    }
}
