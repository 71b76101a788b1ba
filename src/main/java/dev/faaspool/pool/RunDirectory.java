package dev.faaspool.pool;

import dev.faaspool.control.ControlEndpoint;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The host directory of one pool instance: {@code <root>/<instance>/}, holding a lock file and one
 * directory per slot under {@code slots/}. Holding the lock is what makes an instance sure that the
 * containers and sockets labelled with its name are leftovers of its own earlier runs, safe to remove.
 */
public final class RunDirectory implements AutoCloseable {
    private final Path dir;
    private final Path slots;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private RunDirectory(Path dir, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.slots = dir.resolve("slots");
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Locks {@code <root>/<instance>} for this process and empties its {@code slots/} directory.
     *
     * @throws IllegalStateException when another process (or this one) holds the instance
     */
    public static RunDirectory open(Path root, String instance) throws IOException {
        Path dir = root.resolve(instance);
        Files.createDirectories(dir);
        Path lockFile = dir.resolve("lock");
        FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new IllegalStateException("another faas-pool runs as instance '" + instance + "' (it holds "
                    + lockFile + "); stop it or choose another --instance");
        }
        RunDirectory rd = new RunDirectory(dir, ch, lock);
        ControlEndpoint.deleteTree(rd.slots);
        Files.createDirectories(rd.slots);
        return rd;
    }

    /** Where the slot's control socket directory goes; it does not exist yet. */
    public Path slotDir(String slotId) {
        return slots.resolve(slotId);
    }

    public Path dir() {
        return dir;
    }

    /** Removes the slot directories and the lock, and releases the instance. */
    @Override
    public void close() throws IOException {
        ControlEndpoint.deleteTree(slots);
        try {
            lock.release();
        } finally {
            lockChannel.close();
            Files.deleteIfExists(dir.resolve("lock"));
            try {
                Files.deleteIfExists(dir);
            } catch (IOException notEmpty) {
                // Someone put something else here; leave it.
            }
        }
    }
}
