package dev.faaspool.dispatch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What the kernel knows of a TCP connection's sending side ({@code getsockopt(TCP_INFO)}): whether any
 * byte of a response was ever written to it, by whichever process.
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

    /** {@code tcpi_state} of a connection the peer reset (or that ended otherwise): {@code TCP_CLOSE}. */
    private static final int TCP_CLOSE = 7;

    private TcpInfo() {}

    /**
     * Whether the connection {@code fd} is closed for good (reset by the peer): what it received may
     * still be readable, but nobody is there to answer. A peer that only shut its side down after
     * sending (half-close) is still there.
     */
    public static boolean reset(int fd) {
        int len = Native.getOption(fd, IPPROTO_TCP, TCP_INFO);
        return len > 0 && Byte.toUnsignedInt(Native.option().get(ValueLayout.JAVA_BYTE, 0)) == TCP_CLOSE;
    }

    /**
     * Whether any data was ever written to the connection {@code fd}, sent or still queued. False only
     * when the kernel says so; when it cannot tell (a closed socket, an old kernel), true: the caller
     * must then assume a response may have begun, and not write one of its own.
     */
    public static boolean anythingWritten(int fd) {
        if (fd < 0) {
            return true;
        }
        int len = Native.getOption(fd, IPPROTO_TCP, TCP_INFO);
        if (len < NEEDED) {
            return true;
        }
        MemorySegment info = Native.option();
        return info.get(ValueLayout.JAVA_INT_UNALIGNED, DATA_SEGS_OUT) != 0
                || info.get(ValueLayout.JAVA_INT_UNALIGNED, NOTSENT_BYTES) != 0;
    }
}
