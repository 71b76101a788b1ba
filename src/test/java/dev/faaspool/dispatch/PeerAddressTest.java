package dev.faaspool.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/** The client address the request log writes: from the kernel's sockaddr, never a name lookup. */
class PeerAddressTest {
    @Test
    void aConnectionsPeerIsItsClientsAddressAndPort() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.socket().getLocalPort());
                    SocketChannel accepted = server.accept()) {
                assertEquals("127.0.0.1:" + client.getLocalPort(), PeerAddress.of(SocketDescriptors.fdVal(accepted)));
            }
        }
        assertNull(PeerAddress.of(-1), "no such descriptor: none");
    }

    @Test
    void ipv4Ipv6AndMappedAddressesAreFormattedAndOtherFamiliesAreNot() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(128);
            sa.set(ValueLayout.JAVA_SHORT, 0, (short) 2); // AF_INET, port 8080, 10.1.2.3
            sa.set(ValueLayout.JAVA_BYTE, 2, (byte) 0x1f);
            sa.set(ValueLayout.JAVA_BYTE, 3, (byte) 0x90);
            sa.asSlice(4, 4).copyFrom(MemorySegment.ofArray(new byte[] {10, 1, 2, 3}));
            assertEquals("10.1.2.3:8080", PeerAddress.format(sa, 16));
            assertNull(PeerAddress.format(sa, 6), "too short for its family");

            sa.fill((byte) 0);
            sa.set(ValueLayout.JAVA_SHORT, 0, (short) 10); // AF_INET6, port 65535, ::1
            sa.set(ValueLayout.JAVA_BYTE, 2, (byte) 0xff);
            sa.set(ValueLayout.JAVA_BYTE, 3, (byte) 0xff);
            sa.set(ValueLayout.JAVA_BYTE, 8 + 15, (byte) 1);
            assertEquals("[0:0:0:0:0:0:0:1]:65535", PeerAddress.format(sa, 28));
            sa.set(ValueLayout.JAVA_BYTE, 8 + 10, (byte) 0xff); // ::ffff:127.0.0.1, a v4 client of a dual-stack socket
            sa.set(ValueLayout.JAVA_BYTE, 8 + 11, (byte) 0xff);
            sa.asSlice(8 + 12, 4).copyFrom(MemorySegment.ofArray(new byte[] {127, 0, 0, 1}));
            assertEquals("127.0.0.1:65535", PeerAddress.format(sa, 28));

            sa.set(ValueLayout.JAVA_SHORT, 0, (short) 1); // AF_UNIX
            assertNull(PeerAddress.format(sa, 110));
        }
    }
}
