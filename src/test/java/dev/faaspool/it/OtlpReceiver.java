package dev.faaspool.it;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real OTLP/HTTP traces receiver for the tests: it takes {@code POST /v1/traces} with a protobuf
 * {@code ExportTraceServiceRequest} (opentelemetry-proto, trace/v1), answers 200, and keeps the spans it
 * decoded. The decoder reads the protobuf wire format by hand, only the fields the tests look at, so
 * that what faas-pool's exporter sent is checked by something other than its own SDK.
 */
final class OtlpReceiver implements AutoCloseable {
    /** A span as it arrived: ids in lower-case hex, its name, its string, bool and int attributes, its events' names. */
    record ReceivedSpan(String traceId, String spanId, String parentSpanId, String name, Map<String, String> attributes,
            List<String> events, int statusCode) {}

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
    private final List<String> contentTypes = new CopyOnWriteArrayList<>();

    OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/v1/traces", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            contentTypes.add(String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type")));
            int status = 200;
            try {
                spans.addAll(decodeRequest(body));
            } catch (RuntimeException e) {
                status = 400;
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
    }

    /** The traces endpoint to give faas-pool's {@code --otlp-endpoint}. */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces");
    }

    List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    List<String> contentTypes() {
        return List.copyOf(contentTypes);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    // ---- the protobuf wire format, as far as the spans go ----

    private static List<ReceivedSpan> decodeRequest(byte[] b) {
        List<ReceivedSpan> out = new ArrayList<>();
        for (Field rs : fields(b)) {                   // ExportTraceServiceRequest.resource_spans = 1
            if (rs.number == 1) {
                for (Field ss : fields(rs.bytes)) {     // ResourceSpans.scope_spans = 2
                    if (ss.number == 2) {
                        for (Field sp : fields(ss.bytes)) { // ScopeSpans.spans = 2
                            if (sp.number == 2) {
                                out.add(span(sp.bytes));
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    private static ReceivedSpan span(byte[] b) {
        String trace = "", id = "", parent = "", name = "";
        Map<String, String> attributes = new LinkedHashMap<>();
        List<String> events = new ArrayList<>();
        int status = 0;
        for (Field f : fields(b)) {
            switch (f.number) {
                case 1 -> trace = HexFormat.of().formatHex(f.bytes);
                case 2 -> id = HexFormat.of().formatHex(f.bytes);
                case 4 -> parent = HexFormat.of().formatHex(f.bytes);
                case 5 -> name = new String(f.bytes, StandardCharsets.UTF_8);
                case 9 -> attribute(f.bytes, attributes);
                case 11 -> events.add(fields(f.bytes).stream().filter(e -> e.number == 2)
                        .map(e -> new String(e.bytes, StandardCharsets.UTF_8)).findFirst().orElse(""));
                case 15 -> status = (int) fields(f.bytes).stream().filter(s -> s.number == 3).mapToLong(s -> s.varint)
                        .findFirst().orElse(0);
                default -> { }
            }
        }
        return new ReceivedSpan(trace, id, parent, name, attributes, events, status);
    }

    /** KeyValue { key = 1; AnyValue value = 2 { string = 1; bool = 2; int = 3 } }. */
    private static void attribute(byte[] b, Map<String, String> into) {
        String key = null, value = null;
        for (Field f : fields(b)) {
            if (f.number == 1) {
                key = new String(f.bytes, StandardCharsets.UTF_8);
            } else if (f.number == 2) {
                for (Field v : fields(f.bytes)) {
                    value = switch (v.number) {
                        case 1 -> new String(v.bytes, StandardCharsets.UTF_8);
                        case 2 -> String.valueOf(v.varint != 0);
                        case 3 -> String.valueOf(v.varint);
                        default -> value;
                    };
                }
            }
        }
        if (key != null) {
            into.put(key, value);
        }
    }

    private record Field(int number, long varint, byte[] bytes) {}

    private static List<Field> fields(byte[] b) {
        List<Field> out = new ArrayList<>();
        int[] at = {0};
        while (at[0] < b.length) {
            long tag = varint(b, at);
            int number = (int) (tag >>> 3);
            switch ((int) (tag & 7)) {
                case 0 -> out.add(new Field(number, varint(b, at), null));
                case 1 -> { at[0] += 8; out.add(new Field(number, 0, null)); }
                case 2 -> {
                    int len = (int) varint(b, at);
                    if (len < 0 || at[0] + len > b.length) {
                        throw new IllegalArgumentException("field " + number + " runs past the message");
                    }
                    byte[] v = java.util.Arrays.copyOfRange(b, at[0], at[0] + len);
                    at[0] += len;
                    out.add(new Field(number, 0, v));
                }
                case 5 -> { at[0] += 4; out.add(new Field(number, 0, null)); }
                default -> throw new IllegalArgumentException("wire type " + (tag & 7) + " of field " + number);
            }
        }
        return out;
    }

    private static long varint(byte[] b, int[] at) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at[0] >= b.length) {
                throw new IllegalArgumentException("a varint runs past the message");
            }
            byte x = b[at[0]++];
            v |= (long) (x & 0x7f) << shift;
            if (x >= 0) {
                return v;
            }
        }
        throw new IllegalArgumentException("a varint longer than 10 bytes");
    }
}
