package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * Behind a load balancer, for real: HAProxy's agent-check port, the drain a rolling update relies on
 * (SIGTERM with {@code --drain-delay}: still serving while it says drain), and systemd's notifications.
 */
class AgentIT {
    @TempDir
    Path work;
    private PoolProcess pool;

    @AfterEach
    void cleanUp() throws Exception {
        if (pool != null) {
            pool.close();
        }
    }

    /** What HAProxy reads: connect, read the line, the agent closes. */
    private static String agentCheck(InetSocketAddress agent) throws IOException {
        try (Socket s = new Socket(agent.getAddress(), agent.getPort())) {
            s.setSoTimeout(2000);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String receive(AFUNIXDatagramSocket s) throws IOException {
        byte[] b = new byte[4096];
        DatagramPacket p = new DatagramPacket(b, b.length);
        s.receive(p);
        return new String(b, 0, p.getLength(), StandardCharsets.UTF_8);
    }

    @Test
    void sigtermDrainsWhileServingThenStopsAndSystemdHearsEachStep() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        InetSocketAddress listen = new InetSocketAddress(lo, PoolProcess.freePort());
        InetSocketAddress agent = new InetSocketAddress(lo, PoolProcess.freePort());
        Path notify = work.resolve("notify");
        try (AFUNIXDatagramSocket systemd = AFUNIXDatagramSocket.newInstance()) {
            systemd.bind(AFUNIXSocketAddress.of(notify.toFile()));
            systemd.setSoTimeout(60_000);
            pool = PoolProcess.startWithEnv(Map.of("NOTIFY_SOCKET", notify.toString()), work, "agent",
                    "--pool-size", "2", "--listen", "127.0.0.1:" + listen.getPort(),
                    "--agent", "127.0.0.1:" + agent.getPort(), "--drain-delay", "3s");
            assertEquals("STATUS=warming", receive(systemd));
            String ready = receive(systemd);
            assertTrue(ready.startsWith("READY=1\nSTATUS=serving; hello: 2/2 warm"), ready);
            pool.awaitStdout(Pattern.compile("hello: 2/2 warm"), Duration.ofSeconds(10));
            assertEquals("up ready 100%\n", agentCheck(agent), "idle at its minimum: full weight");
            assertEquals(200, HttpProbe.get(pool.admin, "/readyz", 5_000).status());

            pool.terminate();
            assertEquals("STOPPING=1\nSTATUS=draining, then stopping", receive(systemd));
            assertEquals("drain\n", agentCheck(agent));
            HttpProbe.Response readyz = HttpProbe.get(pool.admin, "/readyz", 5_000);
            assertEquals(503, readyz.status());
            assertEquals("draining\n", readyz.body());

            // What a balancer still sends while it learns of the drain is served, every request.
            List<Integer> answers = new ArrayList<>();
            long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
            while (System.nanoTime() < until) {
                answers.add(HttpProbe.get(listen, "/", 10_000).status());
            }
            assertTrue(answers.size() >= 2, "requests sent during the drain: " + answers);
            assertTrue(answers.stream().allMatch(s -> s == 200), "every request during the drain answered 200: " + answers);
            assertEquals("drain\n", agentCheck(agent), "still draining within the delay");
        }
        assertEquals(0, pool.awaitExit(Duration.ofSeconds(40)), pool.stderr());
        assertTrue(pool.stderr().contains("draining: the agent-check says drain and /readyz 503"), pool.stderr());
        assertEquals(List.of(), Docker.containersOf(pool.instance), "no container left");
    }

    @Test
    void withoutNotifySocketOrAgentNothingChanges() throws Exception {
        int port = PoolProcess.freePort();
        pool = PoolProcess.start(work, "noagent", "--pool-size", "1", "--listen", "127.0.0.1:" + port);
        pool.awaitStdout(Pattern.compile("hello: 1/1 warm"), Duration.ofSeconds(60));
        assertEquals(0, pool.stop(Duration.ofSeconds(30)));
        assertTrue(!pool.stderr().contains("draining:"), "no drain delay by default: " + pool.stderr());
    }
}
