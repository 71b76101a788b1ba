package dev.faaspool.dispatch;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.SocketChannel;

/**
 * What the kernel knows of a TCP connection's sending side ({@code getsockopt(TCP_INFO)}, through the
 * FFM API): whether any byte of a response was ever written to it, by whichever process.
 *
 * <p>The client's descriptor is shared with the handler (it was passed with {@code SCM_RIGHTS}, so
 * both refer to one open socket): when a handler dies, this process can tell from the socket itself
 * whether the client has seen a byte of an answer, and answer it with an error when it has not.
 */
public final class TcpInfo {
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_INFO = 11;
    /** {@code struct tcp_info} up to {@code tcpi_data_segs_out} (Linux 4.6). */
    private static final int NEEDED = 160;
    /** {@code __u32 tcpi_notsent_bytes}: written, not yet sent. */
    private static final long NOTSENT_BYTES = 144;
    /** {@code __u32 tcpi_data_segs_out}: segments with data sent, retransmissions included. */
    private static final long DATA_SEGS_OUT = 156;
    private static final int BUFFER = 256;

    private static final MethodHandle GETSOCKOPT = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("getsockopt").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));

    private TcpInfo() {}

    /**
     * Whether any data was ever written to {@code channel}'s connection, sent or still queued. False
     * only when the kernel says so; when it cannot tell (a closed socket, an old kernel), true: the
     * caller must then assume a response may have begun, and not write one of its own.
     */
    public static boolean anythingWritten(SocketChannel channel) {
        int fd = SocketDescriptors.fdVal(channel);
        if (fd < 0) {
            return true;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BUFFER);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, BUFFER);
            int rc = (int) GETSOCKOPT.invokeExact(fd, IPPROTO_TCP, TCP_INFO, info, len);
            if (rc != 0 || len.get(ValueLayout.JAVA_INT, 0) < NEEDED) {
                return true;
            }
            return info.get(ValueLayout.JAVA_INT_UNALIGNED, DATA_SEGS_OUT) != 0
                    || info.get(ValueLayout.JAVA_INT_UNALIGNED, NOTSENT_BYTES) != 0;
        } catch (Throwable t) {
            return true;
        }
    }
}
