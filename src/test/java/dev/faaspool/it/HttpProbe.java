package dev.faaspool.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A minimal HTTP/1.1 client over a fresh TCP connection per request, reading to EOF. */
final class HttpProbe {
    private HttpProbe() {}

    record Response(int status, Map<String, String> headers, String body) {}

    static Response get(InetSocketAddress address, String path, int timeoutMillis) throws IOException {
        return get(address, path, timeoutMillis, new String[0]);
    }

    /** A GET with extra header lines ({@code "Name: value"}), each sent as given. */
    static Response get(InetSocketAddress address, String path, int timeoutMillis, String... headers)
            throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address, timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            StringBuilder extra = new StringBuilder();
            for (String h : headers) {
                extra.append(h).append("\r\n");
            }
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + address.getHostString()
                    + "\r\nConnection: close\r\n" + extra + "\r\n").getBytes(StandardCharsets.US_ASCII));
            return read(s.getInputStream());
        }
    }

    /** Reads a whole response (the server closes the connection after it). */
    static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        String text = all.toString(StandardCharsets.UTF_8);
        int headEnd = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || headEnd < 0) {
            throw new IOException("not an HTTP response: '" + text + "'");
        }
        String[] lines = text.substring(0, headEnd).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
        }
        return new Response(status, headers, text.substring(headEnd + 4));
    }
}
