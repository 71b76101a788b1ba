// Handler.java: the Java example (examples/java/Handler.java) in persistent mode. The same request
// handling and response; instead of taking one connection from stdin (inetd style) and exiting, the
// JVM serves connection after connection through the Java SDK (runtime-init/sdk/java, faas-sdk.jar and
// junixsocket at /opt/faas/java in faas-runtime:java), so the JVM starts and loads its classes once.
import dev.faaspool.sdk.Faas;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

public final class Handler {
    private static final byte[] RESPONSE;

    static {
        byte[] body = "Hello from Java!\n".getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 200 OK\r\n"
                + "Content-Type: text/plain\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n"
                + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        RESPONSE = new byte[h.length + body.length];
        System.arraycopy(h, 0, RESPONSE, 0, h.length);
        System.arraycopy(body, 0, RESPONSE, h.length, body.length);
    }

    static void handle(Socket socket) throws IOException {
        // Read the request head before answering.
        InputStream in = socket.getInputStream();
        byte[] request = new byte[8192];
        int have = 0;
        while (have < request.length) {
            int n = in.read(request, have, request.length - have);
            if (n <= 0) {
                break;
            }
            have += n;
            if (new String(request, 0, have, StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                break;
            }
        }

        OutputStream out = socket.getOutputStream();
        out.write(RESPONSE);
        out.flush();
        // The SDK closes the socket after this returns, which also sends the client its FIN.
    }

    public static void main(String[] args) {
        Faas.serve(Handler::handle);
    }
}
