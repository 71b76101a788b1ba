package dev.faaspool.it;

import dev.faaspool.dispatch.SocketDescriptors;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** A loopback TCP connection whose server end is what a test hands to an init or SDK, as the pool would. */
final class TcpPair implements AutoCloseable {
    final SocketChannel client;
    final SocketChannel server;

    TcpPair() throws IOException {
        try (ServerSocketChannel l = ServerSocketChannel.open()) {
            l.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            client = SocketChannel.open(l.getLocalAddress());
            server = l.accept();
        }
    }

    FileDescriptor serverFd() {
        return SocketDescriptors.of(server);
    }

    void clientWrite(String s) throws IOException {
        client.write(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
    }

    /** What the client reads until the connection ends, waiting at most 10 s for each read. */
    String clientReadAll() throws IOException {
        client.socket().setSoTimeout(10_000);
        return new String(client.socket().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        client.close();
        server.close();
    }
}
