package dev.faaspool.control;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The listening control socket of one slot, in a directory of its own that is bind-mounted into
 * that slot's container only. The directory and socket belong to the container's user with modes
 * 0700 and 0600: the container can connect, nobody else but root can.
 *
 * <p>The endpoint accepts one connection. {@link #close()} removes the socket and its directory and
 * makes a pending {@link #accept} fail at once.
 */
public final class ControlEndpoint implements AutoCloseable {
    /** The socket's file name inside the slot directory. */
    public static final String SOCKET_NAME = "control.sock";

    private final Path dir;
    private final AFUNIXServerSocket server;

    private ControlEndpoint(Path dir, AFUNIXServerSocket server) {
        this.dir = dir;
        this.server = server;
    }

    /**
     * Creates {@code dir} (which must not exist) and listens on {@code dir/control.sock}, owned by
     * {@code uid:gid}.
     */
    public static ControlEndpoint open(Path dir, int uid, int gid) throws IOException {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        AFUNIXServerSocket server = null;
        try {
            Path sock = dir.resolve(SOCKET_NAME);
            server = AFUNIXServerSocket.newInstance();
            server.bind(AFUNIXSocketAddress.of(sock), 1);
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-------"));
            chown(sock, uid, gid);
            chown(dir, uid, gid);
            return new ControlEndpoint(dir, server);
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.close();
            }
            deleteTree(dir);
            throw e;
        }
    }

    public Path dir() {
        return dir;
    }

    /**
     * Waits up to {@code timeout} for the init to connect.
     *
     * @throws SocketTimeoutException when nobody connected in time
     * @throws IOException            when the endpoint was closed meanwhile, or accept failed
     */
    public ControlConnection accept(Duration timeout) throws IOException {
        server.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
        AFUNIXSocket s = server.accept();
        return new ControlConnection(s);
    }

    /** Stops listening and removes the socket and the directory; idempotent. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // The directory goes anyway.
        }
        deleteTree(dir);
    }

    private static void chown(Path p, int uid, int gid) throws IOException {
        Files.setAttribute(p, "unix:uid", uid);
        Files.setAttribute(p, "unix:gid", gid);
    }

    /** Deletes a directory and what it holds; what cannot be deleted is left, without an error. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // Best effort; the instance's run directory is swept at the next start.
                }
            });
        } catch (IOException ignored) {
            // As above.
        }
    }
}
