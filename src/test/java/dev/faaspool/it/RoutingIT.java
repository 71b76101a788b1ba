package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three functions behind one {@code --http} address, on real containers: routed by path and by Host,
 * a mebibyte body read whole by the handler through the routed descriptor (nothing consumed on the
 * way), unknown functions 404, garbage 400, and a function with a listener of its own reached both ways.
 */
class RoutingIT {
    /** A handler that reads the whole request itself and answers its function, path, body length and SHA-256. */
    private static final String ECHO = """
            import hashlib, os, socket
            s = socket.socket(fileno=int(os.environ["FAAS_CLIENT_FD"]))
            buf = b""
            while b"\\r\\n\\r\\n" not in buf:
                d = s.recv(65536)
                if not d:
                    break
                buf += d
            head, _, body = buf.partition(b"\\r\\n\\r\\n")
            lines = head.split(b"\\r\\n")
            n = 0
            for line in lines[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    n = int(v)
            while len(body) < n:
                d = s.recv(65536)
                if not d:
                    break
                body += d
            path = lines[0].split(b" ")[1].decode()
            out = ("%s %s %d %s\\n" % (os.environ["FN"], path, len(body), hashlib.sha256(body).hexdigest())).encode()
            s.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % len(out) + out)
            s.close()
            """;

    @TempDir
    Path work;
    private PoolProcess pool;

    @AfterEach
    void cleanUp() throws Exception {
        if (pool != null) {
            pool.close();
        }
    }

    private static String echoFunction(String name, String extra) {
        StringBuilder cmd = new StringBuilder("    command:\n      - python3\n      - -c\n      - |\n");
        ECHO.lines().forEach(l -> cmd.append("        ").append(l).append('\n'));
        return "  " + name + ":\n    image: faas-runtime:python\n    mode: oneshot\n    env: { FN: " + name + " }\n"
                + cmd + "    pool: { min: 2, max: 4, scaling: fixed }\n" + extra;
    }

    @Test
    void oneAddressServesThreeFunctionsByPathAndHost() throws Exception {
        int httpPort = PoolProcess.freePort();
        int ownPort = PoolProcess.freePort();
        InetSocketAddress http = new InetSocketAddress(InetAddress.getLoopbackAddress(), httpPort);
        Path config = Files.writeString(work.resolve("pool.yaml"), "http: 127.0.0.1:" + httpPort + "\nfunctions:\n"
                + echoFunction("alpha", "")
                + echoFunction("beta", "    hosts: [beta.example.com]\n")
                + "  hello:\n    image: faas-hello:latest\n    mode: fork\n    listen: 127.0.0.1:" + ownPort + "\n"
                + "    hosts: [hello.example.com]\n    pool: { min: 1, max: 2, scaling: fixed }\n");
        pool = PoolProcess.start(work, "routing", "--config", config.toString());
        pool.awaitStdout(Pattern.compile("http: http://127\\.0\\.0\\.1:" + httpPort + "/function/<name>"),
                Duration.ofSeconds(90));

        HttpProbe.Response a = HttpProbe.get(http, "/function/alpha/items?id=7", 10_000);
        assertEquals(200, a.status(), a.body());
        assertEquals("alpha /function/alpha/items?id=7 0 " + sha256(new byte[0]) + "\n", a.body());

        HttpProbe.Response b = HttpProbe.get(http, "/orders", 10_000, "Host: Beta.Example.com:" + httpPort);
        // HttpProbe sends its own Host first; a second one is refused, so send the request by hand.
        assertEquals(400, b.status(), "two Host headers are a bad request: " + b.body());
        String beta = exchange(http, ("GET /orders HTTP/1.1\r\nHost: Beta.Example.com:" + httpPort
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        assertTrue(beta.endsWith("\r\n\r\nbeta /orders 0 " + sha256(new byte[0]) + "\n"), beta);

        String hello = exchange(http, "GET / HTTP/1.1\r\nHost: hello.example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(hello.startsWith("HTTP/1.1 200") && hello.contains("Hello from faas-pool!"), hello);
        assertEquals(200, HttpProbe.get(new InetSocketAddress(InetAddress.getLoopbackAddress(), ownPort), "/", 10_000)
                .status(), "its own listener serves it too");

        byte[] body = new byte[1 << 20];
        new Random(15).nextBytes(body);
        byte[] head = ("POST /function/beta/upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] req = new byte[head.length + body.length];
        System.arraycopy(head, 0, req, 0, head.length);
        System.arraycopy(body, 0, req, head.length, body.length);
        String up = exchange(http, req);
        assertTrue(up.endsWith("beta /function/beta/upload " + body.length + " " + sha256(body) + "\n"), up);

        String notFound = exchange(http, "GET /function/gamma HTTP/1.1\r\nHost: nobody.example\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        assertTrue(notFound.startsWith("HTTP/1.1 404 Not Found"), notFound);
        String garbage = exchange(http, new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, (byte) 0xfc});
        assertTrue(garbage.startsWith("HTTP/1.1 400 Bad Request"), garbage);

        JsonNode h = pool.status().get("http");
        assertEquals("127.0.0.1:" + httpPort, h.get("listen").asText());
        assertEquals(4, h.get("routed").asLong()); // alpha, beta twice, hello (its own listener is not the router's)
        assertEquals(1, h.get("notFound").asLong());
        assertEquals(2, h.get("badRequest").asLong());
        assertTrue(pool.function("alpha").get("listen").isNull());
        assertEquals("beta.example.com", pool.function("beta").get("hosts").get(0).asText());
        assertEquals(2, pool.function("beta").get("requests").get("warm").asLong()
                + pool.function("beta").get("requests").get("cold").asLong());
    }

    /** A reload rebuilds the routes: an added function is routed at once, a removed one is 404. */
    @Test
    void aReloadRoutesAddedFunctionsAndForgetsRemovedOnes() throws Exception {
        int httpPort = PoolProcess.freePort();
        InetSocketAddress http = new InetSocketAddress(InetAddress.getLoopbackAddress(), httpPort);
        String one = "  one:\n    image: faas-hello:latest\n    mode: fork\n    pool: { min: 1, max: 1, scaling: fixed }\n";
        String two = "  two:\n    image: faas-hello:latest\n    mode: fork\n    hosts: [two.example]\n"
                + "    pool: { min: 1, max: 1, scaling: fixed }\n";
        Path config = Files.writeString(work.resolve("pool.yaml"), "http: 127.0.0.1:" + httpPort + "\nfunctions:\n" + one);
        pool = PoolProcess.start(work, "routing-reload", "--config", config.toString());
        pool.awaitStdout(Pattern.compile("http: http://"), Duration.ofSeconds(90));
        assertEquals(200, HttpProbe.get(http, "/function/one", 10_000).status());
        assertEquals(404, HttpProbe.get(http, "/function/two", 10_000).status());

        Files.writeString(config, "http: 127.0.0.1:" + httpPort + "\nfunctions:\n" + two);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!pool.status().toString().contains("\"name\":\"two\"")) {
            assertTrue(System.nanoTime() < deadline, "the edit was not applied: " + pool.status());
            Thread.sleep(100);
        }
        while (HttpProbe.get(http, "/function/one", 10_000).status() != 404) {
            assertTrue(System.nanoTime() < deadline, "the removed function is still routed");
            Thread.sleep(100);
        }
        assertEquals(200, HttpProbe.get(http, "/function/two/x", 10_000).status());
        String byHost = exchange(http, "GET / HTTP/1.1\r\nHost: two.example\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(byHost.startsWith("HTTP/1.1 200"), byHost);
    }

    /** Writes {@code request} whole, half-closes, and reads the answer to EOF. */
    private static String exchange(InetSocketAddress to, byte[] request) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(to, 5_000);
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(request);
            out.flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
