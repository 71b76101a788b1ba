package dev.faaspool.control;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening control socket of one slot, in a directory of its own that is bind-mounted, read-only,
 * into that slot's container only.
 *
 * <h2>The directory is the pool's, not the container's</h2>
 * The directory belongs to root (mode 0755) and the container sees it through a read-only mount: the
 * container can {@code connect()} to the socket (which belongs to the container's user, mode 0600, so
 * no other unprivileged user can), but it cannot create, rename or remove anything there ({@code EROFS}).
 * So the directory holds exactly what the pool put in it, and removing it never means walking a tree
 * that a container could have shaped: {@link #removeFiles()} unlinks the socket and removes the empty
 * directory, and nothing else.
 *
 * <p>The endpoint accepts one connection. {@link #close()} stops listening and makes a pending
 * {@link #accept} fail at once; the files go with {@link #removeFiles()}, once the container is gone.
 */
public final class ControlEndpoint implements AutoCloseable {
    /** The socket's file name inside the slot directory. */
    public static final String SOCKET_NAME = "control.sock";
    private static final Logger log = LoggerFactory.getLogger(ControlEndpoint.class);

    private final Path dir;
    private final AFUNIXServerSocket server;

    private ControlEndpoint(Path dir, AFUNIXServerSocket server) {
        this.dir = dir;
        this.server = server;
    }

    /**
     * Creates {@code dir} (which must not exist), root's, mode 0755, and listens on
     * {@code dir/control.sock}, owned by {@code uid:gid} with mode 0600.
     */
    public static ControlEndpoint open(Path dir, int uid, int gid) throws IOException {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        AFUNIXServerSocket server = null;
        try {
            Path sock = dir.resolve(SOCKET_NAME);
            server = AFUNIXServerSocket.newInstance();
            server.bind(AFUNIXSocketAddress.of(sock), 1);
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-------"));
            Files.setAttribute(sock, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(sock, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
            return new ControlEndpoint(dir, server);
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.close();
            }
            removeFiles(dir);
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

    /** Stops listening; idempotent. The socket file and directory stay until {@link #removeFiles()}. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // Nothing left to release.
        }
    }

    /**
     * Removes the socket file and the directory, which holds nothing else. A directory that is not
     * empty (which the read-only mount rules out) is left and logged: its content is not this
     * process's to delete by walking it.
     */
    public void removeFiles() {
        removeFiles(dir);
    }

    private static void removeFiles(Path dir) {
        try {
            Files.deleteIfExists(dir.resolve(SOCKET_NAME)); // unlink: a symbolic link would go, not its target
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            log.warn("could not remove the slot directory {}: {}; left for the next start's sweep", dir, e.toString());
        }
    }
}
