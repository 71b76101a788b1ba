package dev.faaspool.dispatch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * The answer faas-pool writes itself when it cannot give a connection to a handler, so that no client
 * is left hanging or cut off without a word. The connection is then closed gracefully: our side is
 * shut down first and the request the client sent is read and dropped, because closing with unread
 * input would reset the connection and could destroy the answer before the client reads it.
 */
public record HttpErrorResponse(int status, String reason, String message, int retryAfterSeconds) {
    private static final long LINGER_MILLIS = 200;
    private static final int DRAIN_LIMIT = 64 * 1024;

    /** 503 with {@code Retry-After}: no container could take the request in time. */
    public static HttpErrorResponse unavailable(String message, int retryAfterSeconds) {
        return new HttpErrorResponse(503, "Service Unavailable", message, retryAfterSeconds);
    }

    /** 502: the function's container took the request but could not run its handler. */
    public static HttpErrorResponse badGateway(String message) {
        return new HttpErrorResponse(502, "Bad Gateway", message, 0);
    }

    /** 408: the client opened a connection and sent nothing in time. */
    public static HttpErrorResponse requestTimeout(String message) {
        return new HttpErrorResponse(408, "Request Timeout", message, 0);
    }

    /** 400: the HTTP front listener could not read a request head (not HTTP/1, too large, cut short). */
    public static HttpErrorResponse badRequest(String message) {
        return new HttpErrorResponse(400, "Bad Request", message, 0);
    }

    /** 404: the HTTP front listener found no function for the request's path or host. */
    public static HttpErrorResponse notFound(String message) {
        return new HttpErrorResponse(404, "Not Found", message, 0);
    }

    /** 504: the function's handler did not answer within its request timeout. */
    public static HttpErrorResponse gatewayTimeout(String message) {
        return new HttpErrorResponse(504, "Gateway Timeout", message, 0);
    }

    byte[] bytes() {
        String body = message + "\n";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder()
                .append("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n")
                .append("Content-Type: text/plain; charset=utf-8\r\n")
                .append("Content-Length: ").append(b.length).append("\r\n")
                .append("Connection: close\r\n");
        if (retryAfterSeconds > 0) {
            head.append("Retry-After: ").append(retryAfterSeconds).append("\r\n");
        }
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + b.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(b, 0, out, h.length, b.length);
        return out;
    }

    /**
     * Writes this response to {@code client}, shuts its output down and drains its input for a
     * moment. The caller still closes the channel.
     */
    public void writeTo(SocketChannel client) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(bytes());
        client.configureBlocking(true);
        while (out.hasRemaining()) {
            client.write(out);
        }
        client.shutdownOutput();
        drain(client);
    }

    private static void drain(SocketChannel client) throws IOException {
        client.configureBlocking(false);
        ByteBuffer sink = ByteBuffer.allocate(4096);
        long deadline = System.nanoTime() + LINGER_MILLIS * 1_000_000;
        int total = 0;
        try (Selector sel = Selector.open()) {
            client.register(sel, SelectionKey.OP_READ);
            while (total < DRAIN_LIMIT) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0 || sel.select(left) == 0) {
                    return;
                }
                sel.selectedKeys().clear();
                sink.clear();
                int n = client.read(sink);
                if (n < 0) {
                    return;
                }
                total += n;
            }
        }
    }
}
