package dev.faaspool.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.faaspool.config.Defaults;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The operators' HTTP endpoint, on loopback only: {@code /metrics} (Prometheus), {@code /status}
 * (JSON), {@code /healthz} (the process answers) and {@code /readyz} (every function has its warm slots).
 */
public final class AdminServer implements AutoCloseable {
    private final HttpServer server;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AdminServer(HttpServer server) {
        this.server = server;
    }

    /**
     * Binds {@code address}, which must be a loopback address.
     *
     * @param status a JSON-serializable snapshot of the pool
     * @param ready  whether every function has its warm slots
     * @param metrics what {@code /metrics} shows
     */
    public static AdminServer start(InetSocketAddress address, Supplier<Object> status, BooleanSupplier ready,
            PrometheusMetrics metrics) throws IOException {
        if (address.getAddress() == null || !address.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("the admin endpoint binds to loopback only (was "
                    + Defaults.format(address) + ")");
        }
        HttpServer http;
        try {
            http = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new IOException("admin endpoint cannot listen on " + Defaults.format(address) + ": " + e.getMessage(), e);
        }
        AdminServer admin = new AdminServer(http);
        http.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "admin-http");
            t.setDaemon(true);
            return t;
        }));
        http.createContext("/status", ex -> admin.reply(ex, 200, "application/json",
                admin.json.writeValueAsString(status.get()) + "\n"));
        http.createContext("/metrics", ex -> {
            ByteArrayOutputStream text = new ByteArrayOutputStream(8192);
            metrics.write(text);
            admin.reply(ex, 200, metrics.contentType(), text.toByteArray());
        });
        http.createContext("/healthz", ex -> admin.reply(ex, 200, "text/plain", "ok\n"));
        http.createContext("/readyz", ex -> {
            boolean ok = ready.getAsBoolean();
            admin.reply(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "warming\n");
        });
        http.start();
        return admin;
    }

    private void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        reply(ex, status, type + "; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    private void reply(HttpExchange ex, int status, String contentType, byte[] b) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                ex.sendResponseHeaders(405, -1);
                return;
            }
            ex.getResponseHeaders().set("Content-Type", contentType);
            if ("HEAD".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(status, -1);
                return;
            }
            ex.sendResponseHeaders(status, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
