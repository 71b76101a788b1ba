package dev.faaspool.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpErrorResponseTest {
    private static final String GET = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    private ServerSocketChannel server;
    private Socket client;

    @BeforeEach
    void listen() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = new Socket();
        client.connect(server.getLocalAddress());
        client.setSoTimeout(5000);
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        server.close();
    }

    @Test
    void unavailableIsA503WithRetryAfterFollowedByACleanClose() throws IOException {
        Response r = exchange(GET.getBytes(StandardCharsets.US_ASCII), HttpErrorResponse.unavailable("why", 1));

        assertEquals("HTTP/1.1 503 Service Unavailable", r.statusLine);
        assertEquals("text/plain; charset=utf-8", r.headers.get("content-type"));
        assertEquals("4", r.headers.get("content-length"));
        assertEquals("close", r.headers.get("connection"));
        assertEquals("1", r.headers.get("retry-after"));
        assertEquals(4, r.headers.size(), r.headers.toString());
        assertEquals("why\n", r.body);
    }

    @Test
    void badGatewayIsA502WithoutRetryAfter() throws IOException {
        Response r = exchange(GET.getBytes(StandardCharsets.US_ASCII),
                HttpErrorResponse.badGateway("the handler could not be started"));

        assertEquals("HTTP/1.1 502 Bad Gateway", r.statusLine);
        assertFalse(r.headers.containsKey("retry-after"), r.headers.toString());
        assertEquals("close", r.headers.get("connection"));
        assertEquals("33", r.headers.get("content-length"));
        assertEquals("the handler could not be started\n", r.body);
    }

    @Test
    void contentLengthCountsBytesNotCharacters() throws IOException {
        Response r = exchange(GET.getBytes(StandardCharsets.US_ASCII), HttpErrorResponse.unavailable("überlastet", 2));

        assertEquals("12", r.headers.get("content-length")); // 10 characters, 11 bytes, and the newline
        assertEquals("überlastet\n", r.body);
        assertEquals("2", r.headers.get("retry-after"));
    }

    @Test
    void aRequestBodyTheClientStillSendsIsDrainedSoTheAnswerIsNotReset() throws IOException {
        byte[] body = new byte[32 * 1024];
        Arrays.fill(body, (byte) 'x');
        String head = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\n\r\n";
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        request.writeBytes(body);

        Response r = exchange(request.toByteArray(), HttpErrorResponse.unavailable("busy", 1));

        assertEquals("HTTP/1.1 503 Service Unavailable", r.statusLine);
        assertEquals("busy\n", r.body);
    }

    @Test
    void writeToReturnsSoonWhenTheClientKeepsTheConnectionOpen() throws IOException {
        client.getOutputStream().write(GET.getBytes(StandardCharsets.US_ASCII));
        try (SocketChannel accepted = server.accept()) {
            long start = System.nanoTime();
            HttpErrorResponse.unavailable("why", 1).writeTo(accepted);
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 2000, "writeTo lingered " + millis + " ms");
        }
        assertEquals("why\n", Response.parse(readToEof(client.getInputStream())).body);
    }

    /**
     * The client sends {@code request}; the server accepts, writes {@code response} and closes, as the
     * dispatcher does; the client reads everything up to EOF. A reset instead of EOF fails the read.
     */
    private Response exchange(byte[] request, HttpErrorResponse response) throws IOException {
        OutputStream out = client.getOutputStream();
        out.write(request);
        out.flush();
        try (SocketChannel accepted = server.accept()) {
            response.writeTo(accepted);
        }
        byte[] all = readToEof(client.getInputStream());
        return Response.parse(all);
    }

    private static byte[] readToEof(InputStream in) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) >= 0) { // "Connection reset" would throw here
            got.write(buf, 0, n);
        }
        return got.toByteArray();
    }

    private record Response(String statusLine, Map<String, String> headers, String body) {
        static Response parse(byte[] raw) {
            String text = new String(raw, StandardCharsets.ISO_8859_1);
            int end = text.indexOf("\r\n\r\n");
            assertTrue(end > 0, "no end of headers in: " + text);
            String[] lines = text.substring(0, end).split("\r\n");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                assertTrue(colon > 0, "not a header: " + lines[i]);
                headers.put(lines[i].substring(0, colon).toLowerCase(), lines[i].substring(colon + 1).trim());
            }
            byte[] body = Arrays.copyOfRange(raw, end + 4, raw.length);
            assertEquals(headers.get("content-length"), String.valueOf(body.length), "Content-Length vs body");
            return new Response(lines[0], headers, new String(body, StandardCharsets.UTF_8));
        }
    }
}
