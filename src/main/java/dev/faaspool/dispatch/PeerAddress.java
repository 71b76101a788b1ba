package dev.faaspool.dispatch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A connection's client address as the request log writes it: {@code ip:port}, {@code [ip6]:port}
 * (an IPv4 client of a dual-stack socket as IPv4). One {@code getpeername}; no name lookup.
 */
final class PeerAddress {
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    private PeerAddress() {}

    /** The peer of the socket {@code fd}, or null when it has none any more (reset) or is not IP. */
    static String of(int fd) {
        int len = Native.peerName(fd);
        if (len < 0) {
            return null;
        }
        return format(Native.option(), len);
    }

    /** Formats the {@code sockaddr} of {@code len} bytes at the start of {@code sa}; null when not IPv4/IPv6. */
    static String format(MemorySegment sa, int len) {
        if (len < 2) {
            return null;
        }
        int family = sa.get(ValueLayout.JAVA_SHORT, 0) & 0xffff; // sa_family is host order
        byte[] addr;
        if (family == AF_INET && len >= 8) {
            addr = new byte[4];
            MemorySegment.copy(sa, ValueLayout.JAVA_BYTE, 4, addr, 0, 4);
        } else if (family == AF_INET6 && len >= 24) {
            addr = new byte[16];
            MemorySegment.copy(sa, ValueLayout.JAVA_BYTE, 8, addr, 0, 16);
        } else {
            return null;
        }
        int port = ((sa.get(ValueLayout.JAVA_BYTE, 2) & 0xff) << 8) | (sa.get(ValueLayout.JAVA_BYTE, 3) & 0xff);
        try {
            InetAddress a = InetAddress.getByAddress(addr); // a v4-mapped v6 address comes back as IPv4
            String host = a.getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        } catch (UnknownHostException e) {
            return null; // only for a wrong length, excluded above
        }
    }
}
