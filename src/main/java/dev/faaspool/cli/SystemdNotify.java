package dev.faaspool.cli;

import java.io.File;
import java.io.IOException;
import java.net.DatagramPacket;
import java.nio.charset.StandardCharsets;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's readiness protocol ({@code sd_notify(3)}): with {@code Type=notify} the service manager sets
 * {@code NOTIFY_SOCKET} to a Unix datagram socket (a path, or {@code @name} in the abstract namespace) and
 * waits for {@code READY=1} before it calls the unit started; {@code STOPPING=1}, {@code RELOADING=1} and
 * {@code STATUS=...} (shown by {@code systemctl status}) follow the process's life.
 *
 * <p>Without {@code NOTIFY_SOCKET} every call does nothing. A message that cannot be sent (the manager
 * gone, a bad path) is logged once and the rest are dropped: readiness reporting never stops the pool.
 */
final class SystemdNotify implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SystemdNotify.class);

    private final AFUNIXSocketAddress target;
    private AFUNIXDatagramSocket socket;
    private boolean failed;

    private SystemdNotify(AFUNIXSocketAddress target) {
        this.target = target;
    }

    /** For {@code NOTIFY_SOCKET}'s value, or one that does nothing when it is null or empty. */
    static SystemdNotify forSocket(String notifySocket) {
        if (notifySocket == null || notifySocket.isEmpty()) {
            return new SystemdNotify(null);
        }
        try {
            AFUNIXSocketAddress a = notifySocket.startsWith("@")
                    ? AFUNIXSocketAddress.inAbstractNamespace(notifySocket.substring(1))
                    : AFUNIXSocketAddress.of(new File(notifySocket));
            return new SystemdNotify(a);
        } catch (IOException | RuntimeException e) {
            log.warn("NOTIFY_SOCKET={} cannot be used ({}); systemd will not hear of readiness", notifySocket, e.toString());
            return new SystemdNotify(null);
        }
    }

    static SystemdNotify fromEnvironment() {
        return forSocket(System.getenv("NOTIFY_SOCKET"));
    }

    /** The pool serves: {@code READY=1} and a status line. */
    void ready(String status) {
        send("READY=1\nSTATUS=" + oneLine(status));
    }

    /** A status line for {@code systemctl status}. */
    void status(String status) {
        send("STATUS=" + oneLine(status));
    }

    /** A reload (SIGHUP) begins; {@link #ready} ends it. */
    void reloading() {
        send("RELOADING=1");
    }

    /** Shutdown begins. */
    void stopping(String status) {
        send("STOPPING=1\nSTATUS=" + oneLine(status));
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ');
    }

    private synchronized void send(String message) {
        if (target == null || failed) {
            return;
        }
        try {
            if (socket == null) {
                socket = AFUNIXDatagramSocket.newInstance();
                socket.connect(target); // junixsocket sends to a connected peer; a packet's address must resolve
            }
            byte[] b = message.getBytes(StandardCharsets.UTF_8);
            socket.send(new DatagramPacket(b, b.length));
        } catch (IOException | RuntimeException e) {
            failed = true;
            log.warn("cannot notify systemd at {} ({}); no further notifications are sent", target, e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (socket != null) {
            socket.close();
            socket = null;
        }
    }
}
