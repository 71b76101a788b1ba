// Handler.java: the Java example. Java cannot make a socket of a bare descriptor number
// (FAAS_CLIENT_FD) without the JDK's internals, so it uses the inetd convention: with FAAS_STDIO=1,
// faas-init makes the client connection also stdin and stdout, and System.inheritedChannel() returns
// it as a SocketChannel. Nothing else may write to System.out: it is the client's connection too.
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

public final class Handler {
    public static void main(String[] args) throws IOException {
        Channel inherited = System.inheritedChannel();
        if (!(inherited instanceof SocketChannel socket)) {
            System.err.println("handler: stdin is not a socket (run with FAAS_STDIO=1): " + inherited);
            System.exit(1);
            return;
        }

        // Read the request head before answering.
        ByteBuffer request = ByteBuffer.allocate(8192);
        while (request.hasRemaining() && socket.read(request) > 0) {
            String head = new String(request.array(), 0, request.position(), StandardCharsets.ISO_8859_1);
            if (head.contains("\r\n\r\n")) {
                break;
            }
        }

        byte[] body = "Hello from Java!\n".getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 200 OK\r\n"
                + "Content-Type: text/plain\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n"
                + "\r\n";
        ByteBuffer response = ByteBuffer.allocate(head.length() + body.length);
        response.put(head.getBytes(StandardCharsets.US_ASCII)).put(body).flip();
        while (response.hasRemaining()) {
            socket.write(response);
        }
        socket.shutdownOutput();
        socket.close();
    }
}
