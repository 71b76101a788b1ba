package dev.faaspool.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpServer;
import dev.faaspool.config.Defaults;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operators' HTTP endpoint: {@code /metrics} (Prometheus), {@code /status} (JSON), {@code /healthz}
 * (the process answers) and {@code /readyz} (every function has its warm slots, and shutdown has not begun).
 *
 * <p>With a bearer token ({@link AdminAccess}), {@code /status} and {@code /metrics} answer 401 with
 * {@code WWW-Authenticate: Bearer} to a request without the token. {@code /healthz} and {@code /readyz}
 * stay open: a load balancer's health check often cannot send a header (AWS target groups, HAProxy's
 * {@code option httpchk} without extra lines), and they tell only "ok" or "ready"/"warming"/"draining", which the
 * same balancer makes visible anyway by routing or not.
 */
public final class AdminServer implements AutoCloseable {
    private final HttpServer server;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AdminServer(HttpServer server) {
        this.server = server;
    }

    /**
     * Binds {@code address}, which {@code access} must allow ({@link AdminAccess#checkBinding}).
     *
     * @param access who may read {@code /status} and {@code /metrics}
     * @param status a JSON-serializable snapshot of the pool
     * @param readiness {@code "ready"} (then {@code /readyz} answers 200) or why not, e.g. {@code "warming"},
     *                  {@code "draining"} (503 with that word)
     * @param metrics what {@code /metrics} shows
     */
    public static AdminServer start(InetSocketAddress address, AdminAccess access, Supplier<Object> status,
            Supplier<String> readiness, PrometheusMetrics metrics) throws IOException {
        access.checkBinding(address); // Main refused it already; a second look costs nothing
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
        HttpContext statusPath = http.createContext("/status", ex -> admin.reply(ex, 200, "application/json",
                admin.json.writeValueAsString(status.get()) + "\n"));
        HttpContext metricsPath = http.createContext("/metrics", ex -> {
            ByteArrayOutputStream text = new ByteArrayOutputStream(8192);
            metrics.write(text);
            admin.reply(ex, 200, metrics.contentType(), text.toByteArray());
        });
        if (access.requiresToken()) {
            BearerAuthenticator bearer = new BearerAuthenticator(access);
            statusPath.setAuthenticator(bearer);
            metricsPath.setAuthenticator(bearer);
        }
        http.createContext("/healthz", ex -> admin.reply(ex, 200, "text/plain", "ok\n"));
        http.createContext("/readyz", ex -> {
            String state = readiness.get();
            admin.reply(ex, "ready".equals(state) ? 200 : 503, "text/plain", state + "\n");
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

    /** Where it listens (the port chosen, when asked for port 0). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** The JDK server's hook for {@link AdminAccess}: 401 with a challenge, before the handler runs. */
    private static final class BearerAuthenticator extends Authenticator {
        private final AdminAccess access;

        BearerAuthenticator(AdminAccess access) {
            this.access = access;
        }

        @Override
        public Result authenticate(HttpExchange ex) {
            if (access.permits(ex.getRequestHeaders().get("Authorization"))) {
                return new Success(new HttpPrincipal("admin", "faas-pool"));
            }
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"faas-pool\"");
            return new Failure(401);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
