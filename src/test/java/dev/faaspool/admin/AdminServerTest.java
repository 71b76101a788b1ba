package dev.faaspool.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.metrics.LatencyLog;
import dev.faaspool.metrics.TaskGuard;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin endpoint over real HTTP on loopback, with a token: what the JDK's server does with the headers
 * a hostile client sends (several {@code Authorization} lines, odd spacing), not only what {@link AdminAccess}
 * decides about a list.
 */
@Timeout(30)
class AdminServerTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path tmp;
    private LatencyLog latency;
    private AdminServer server;

    @BeforeEach
    void start() throws IOException {
        latency = LatencyLog.open(tmp, "admin-test", List.of(), Duration.ofHours(1), Clock.systemUTC());
        PrometheusMetrics metrics = new PrometheusMetrics(List::of, Map.of(), latency, () -> "closed", new TaskGuard());
        server = AdminServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                AdminAccess.bearer(TOKEN), () -> Map.of("instance", "test"), () -> "ready", metrics);
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        latency.finish();
    }

    @Test
    void theRightTokenReadsStatusAndMetrics() throws IOException {
        String status = get("/status", "Authorization: Bearer " + TOKEN);
        assertTrue(status.startsWith("HTTP/1.1 200"), status);
        assertTrue(status.contains("\"instance\" : \"test\""), status);
        assertTrue(get("/metrics", "authorization: bearer " + TOKEN).startsWith("HTTP/1.1 200"));
    }

    @Test
    void withoutTheRightTokenProtectedPathsAnswer401WithAChallenge() throws IOException {
        List<List<String>> bad = List.of(
                List.of(),
                List.of("Authorization: Bearer"),
                List.of("Authorization: Bearer "),
                List.of("Authorization: Bearer wrong"),
                List.of("Authorization: Bearer " + TOKEN.substring(1)),
                List.of("Authorization: Bearer " + TOKEN + "0"),
                List.of("Authorization: Basic " + TOKEN),
                List.of("Authorization: " + TOKEN),
                List.of("Authorization: Bearer " + TOKEN, "Authorization: Bearer " + TOKEN),
                List.of("Authorization: Bearer wrong", "Authorization: Bearer " + TOKEN),
                List.of("Authorization: Bearer " + TOKEN + ", Bearer " + TOKEN),
                List.of("X-Authorization: Bearer " + TOKEN));
        for (String path : List.of("/status", "/metrics", "/status/anything")) {
            for (List<String> headers : bad) {
                String r = get(path, headers.toArray(String[]::new));
                assertTrue(r.startsWith("HTTP/1.1 401"), path + " " + headers + ":\n" + r);
                assertTrue(r.toLowerCase(java.util.Locale.ROOT).contains("\r\nwww-authenticate: bearer realm=\"faas-pool\"\r\n"), r);
                assertFalse(r.contains("instance"), r);
            }
        }
    }

    @Test
    void healthAndReadinessStayOpenForLoadBalancers() throws IOException {
        assertTrue(get("/healthz").startsWith("HTTP/1.1 200"));
        assertTrue(get("/readyz").startsWith("HTTP/1.1 200"));
    }

    @Test
    void anOpenEndpointRefusesToBindBeyondLoopback() {
        assertThrows(IllegalArgumentException.class, () -> AdminServer.start(new InetSocketAddress(0),
                AdminAccess.open(), Map::of, () -> "ready", null));
    }

    /** A GET with {@code headers} exactly as given, each its own line; the whole response. */
    private String get(String path, String... headers) throws IOException {
        InetSocketAddress a = server.address();
        try (Socket s = new Socket(a.getAddress(), a.getPort())) {
            s.setSoTimeout(10_000);
            StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            s.getOutputStream().write(req.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            s.getInputStream().transferTo(all);
            return all.toString(StandardCharsets.UTF_8);
        }
    }
}
