package dev.faaspool.dispatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.log.Outcome;
import dev.faaspool.log.RequestRecord;
import dev.faaspool.log.RequestSink;
import dev.faaspool.metrics.RouterCounters;
import dev.faaspool.metrics.TaskGuard;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The front listener on real sockets and a real event loop, with targets that stand in for a function's
 * dispatcher: each reads the whole request from the descriptor it is given and answers with what it
 * read, so a byte the router consumed would be missing from the answer.
 */
class HttpRouterTest {
    private final TaskGuard guard = new TaskGuard();
    private final RouterCounters counters = new RouterCounters();
    /** What the router hands the request log itself (a routed connection's record is its function's). */
    private final List<RequestRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final RequestSink sink = new RequestSink() {
        @Override
        public java.time.Instant now() {
            return java.time.Instant.EPOCH;
        }

        @Override
        public void record(RequestRecord r) {
            records.add(r);
        }
    };
    private final ExecutorService handlers = Executors.newCachedThreadPool();
    private EventLoop loop;
    private HttpRouter router;
    private InetSocketAddress address;

    /** Reads the head and Content-Length bytes of body, answers 200 with "<name> <bytes read>" and the request. */
    private final class Echo implements RouteTarget {
        final String name;
        final AtomicInteger served = new AtomicInteger();

        Echo(String name) {
            this.name = name;
        }

        @Override
        public void routed(int fd, long acceptedNanos) {
            served.incrementAndGet();
            handlers.execute(() -> serve(fd));
        }

        private void serve(int fd) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment buf = a.allocate(64 * 1024);
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (!complete(got.toByteArray()) && System.nanoTime() < deadline) {
                    long n = Native.receive(fd, buf, buf.byteSize());
                    if (n == -Native.EAGAIN) {
                        Thread.onSpinWait();
                        continue;
                    }
                    if (n <= 0) {
                        break;
                    }
                    got.write(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), 0, (int) n);
                }
                byte[] req = got.toByteArray();
                byte[] body = (name + " " + req.length + "\n").getBytes(StandardCharsets.US_ASCII);
                byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + (body.length + req.length)
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                MemorySegment out = a.allocate(head.length + body.length + req.length);
                MemorySegment.copy(head, 0, out, ValueLayout.JAVA_BYTE, 0, head.length);
                MemorySegment.copy(body, 0, out, ValueLayout.JAVA_BYTE, head.length, body.length);
                MemorySegment.copy(req, 0, out, ValueLayout.JAVA_BYTE, head.length + body.length, req.length);
                long off = 0;
                while (off < out.byteSize()) {
                    long n = Native.send(fd, out.asSlice(off), out.byteSize() - off);
                    if (n == -Native.EAGAIN) {
                        Thread.onSpinWait();
                    } else if (n < 0) {
                        break;
                    } else {
                        off += n;
                    }
                }
            } finally {
                Native.close(fd);
            }
        }
    }

    /** Head ended and Content-Length bytes after it. */
    private static boolean complete(byte[] b) {
        String s = new String(b, StandardCharsets.ISO_8859_1);
        int end = s.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        int cl = s.toLowerCase().indexOf("content-length: ");
        int len = cl < 0 || cl > end ? 0 : Integer.parseInt(s.substring(cl + 16, s.indexOf('\r', cl)));
        return b.length >= end + 4 + len;
    }

    private final Echo hello = new Echo("hello");
    private final Echo api = new Echo("api");

    @BeforeEach
    void start() throws Exception {
        loop = new EventLoop("router-test", System::nanoTime, guard);
        router = HttpRouter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), loop,
                Duration.ofMillis(500), counters, sink);
        router.routes(new Routes<>(Map.of("hello", hello, "api", api), Map.of("api.example.com", api)));
        router.start();
        address = router.address();
    }

    @AfterEach
    void stop() {
        router.close();
        loop.close();
        handlers.shutdownNow();
        assertEquals(Map.of(), guard.counts(), "no task of the loop failed");
    }

    private String exchange(byte[]... pieces) throws Exception {
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(5000);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            for (byte[] p : pieces) {
                out.write(p);
                out.flush();
                if (pieces.length > 1) {
                    Thread.sleep(3);
                }
            }
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void routesByPathAndByHostAndTheTargetReadsTheWholeRequest() throws Exception {
        String req = "GET /function/hello/x?a=1 HTTP/1.1\r\nHost: api.example.com\r\n\r\n";
        String a = exchange(ascii(req));
        assertTrue(a.startsWith("HTTP/1.1 200 OK"), a);
        assertTrue(a.endsWith("hello " + req.length() + "\n" + req), a); // path wins over Host, nothing consumed
        String req2 = "GET /anything HTTP/1.1\r\nHost: API.example.com:8080\r\n\r\n";
        assertTrue(exchange(ascii(req2)).endsWith("api " + req2.length() + "\n" + req2));
        assertEquals(2, counters.routed.sum());
        assertEquals(List.of(), records, "a routed connection's line is its function's dispatcher's");
    }

    @Test
    void aMebibyteBodyArrivesWhole() throws Exception {
        byte[] body = new byte[1 << 20];
        new java.util.Random(7).nextBytes(body);
        byte[] head = ascii("POST /function/hello HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n");
        byte[] req = new byte[head.length + body.length];
        System.arraycopy(head, 0, req, 0, head.length);
        System.arraycopy(body, 0, req, head.length, body.length);
        String a = exchange(req);
        byte[] echoed = a.substring(a.indexOf('\n', a.indexOf("hello ")) + 1).getBytes(StandardCharsets.ISO_8859_1);
        assertArrayEquals(req, echoed);
    }

    @Test
    void aHeadInPiecesIsRouted() throws Exception {
        String a = exchange(ascii("GET /func"), ascii("tion/hello HTTP/1.1\r\n"), ascii("Host: h\r\n"), ascii("\r\n"));
        assertTrue(a.contains("hello "), a);
    }

    @Test
    void unknownFunctionIs404AndNoTargetIsTouched() throws Exception {
        String a = exchange(ascii("GET /function/nope HTTP/1.1\r\nHost: other.example\r\n\r\n"));
        assertTrue(a.startsWith("HTTP/1.1 404 Not Found"), a);
        assertTrue(a.contains("/function/nope on host other.example"), a);
        assertEquals(0, hello.served.get() + api.served.get());
        assertEquals(1, counters.notFound.sum());
        assertEquals(1, records.size(), records.toString());
        RequestRecord r = records.get(0);
        assertEquals(Outcome.NOT_FOUND, r.outcome());
        assertEquals(null, r.function(), "the name the client asked for is not written: it is the client's text");
        assertTrue(r.client().startsWith("127.0.0.1:") && r.slot() == null, r.toString());
    }

    @Test
    void garbageIs400AtOnce() throws Exception {
        long t0 = System.nanoTime();
        String a = exchange(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xff});
        assertTrue(a.startsWith("HTTP/1.1 400 Bad Request"), a);
        assertTrue(System.nanoTime() - t0 < 400_000_000L, "answered before the head timeout");
        assertEquals(1, counters.badRequest.sum());
        assertEquals(List.of(Outcome.BAD_REQUEST), records.stream().map(RequestRecord::outcome).toList());
    }

    @Test
    void aHeadLargerThanTheLimitIs400() throws Exception {
        String a = exchange(ascii("GET /function/hello HTTP/1.1\r\nX: " + "a".repeat(HttpRouter.HEAD_LIMIT) + "\r\n\r\n"));
        assertTrue(a.startsWith("HTTP/1.1 400"), a);
        assertTrue(a.contains("longer than 8192 bytes"), a);
        assertEquals(0, hello.served.get());
    }

    /** A client that trickles its head a byte per segment costs a bounded number of peeks, then 400. */
    @Test
    void aHeadTrickledByteByByteIs400() throws Exception {
        byte[] head = ascii("GET /function/hello HTTP/1.1\r\nUser-Agent: " + "s".repeat(120) + "\r\n\r\n");
        byte[][] pieces = new byte[head.length][];
        for (int i = 0; i < head.length; i++) {
            pieces[i] = new byte[] {head[i]};
        }
        String a;
        try {
            a = exchange(pieces);
        } catch (java.net.SocketException e) {
            a = "reset: " + e.getMessage(); // the answer came while the client still wrote: it may be cut
        }
        assertTrue(a.startsWith("HTTP/1.1 400") || a.startsWith("reset"), a);
        assertTrue(a.startsWith("reset") || a.contains("more than " + HttpRouter.MAX_PEEKS + " pieces"), a);
        assertEquals(1, counters.badRequest.sum());
        assertEquals(0, hello.served.get());
    }

    @Test
    void aSilentClientIs408AtTheHeadTimeout() throws Exception {
        long t0 = System.nanoTime();
        String a = exchange(ascii("GET /function/hello HTTP/1.1\r\n"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(a.startsWith("HTTP/1.1 408"), a);
        assertTrue(ms >= 450, "waited the head timeout: " + ms + " ms");
        assertEquals(1, counters.headTimeout.sum());
        assertEquals(List.of(Outcome.FIRST_BYTE_TIMEOUT), records.stream().map(RequestRecord::outcome).toList());
        assertTrue(records.get(0).serviceNanos() >= 450_000_000L, records.toString());
    }

    @Test
    void aClientThatHalfClosesInsideItsHeadIs400AndOneThatLeavesIsDropped() throws Exception {
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(ascii("GET /function/hello HT"));
            s.shutdownOutput();
            assertTrue(new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).startsWith("HTTP/1.1 400"));
        }
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.getOutputStream().write(ascii("GET /function/hello HT"));
            Thread.sleep(50);
        }
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (counters.gone.sum() + counters.badRequest.sum() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        // A close with nothing more to say is a hang-up inside the head: 400, written to a client that is gone.
        assertEquals(2, counters.gone.sum() + counters.badRequest.sum());
        assertEquals(0, hello.served.get());
    }
}
