package dev.faaspool.pool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of one pool instance: its claim on the instance name, and its directory
 * {@code <root>/<instance>/} with one directory per slot under {@code slots/}.
 *
 * <h2>The claim</h2>
 * An instance's name is claimed with a lock on {@code <lock dir>/<instance>.lock}, where the lock dir
 * is a fixed system path ({@link #SYSTEM_LOCKS}), not under {@code --run-dir}: every faas-pool on the
 * host sees it, whatever run directory it was given. Holding the lock is what makes an instance sure
 * that the containers labelled with its name are leftovers of its own earlier runs, safe to remove. The
 * kernel releases it when the process dies, so a crash leaves no stale claim.
 *
 * <h2>Sweeping</h2>
 * {@link #open} creates nothing it would have to trust: the slot directories an earlier run left are
 * swept by {@link #sweep}, which the pool calls only once that run's containers are gone. A slot
 * directory holds only what the pool put there (see {@code ControlEndpoint}), but one left by an older
 * version, or by anyone, may hold anything: the sweep never follows a link, never crosses a mount and
 * is bounded ({@link TreeSweeper}). What it cannot delete is moved aside, logged, and swept again at the
 * next start; it is never a reason to refuse to start or stop.
 */
public final class RunDirectory implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunDirectory.class);
    /** Where instances are claimed: a fixed path, the same for every faas-pool on the host. */
    public static final Path SYSTEM_LOCKS = Path.of("/run/lock/faas-pool");
    private static final String SLOTS = "slots";
    private static final String STALE = "slots.stale-";

    private final Path dir;
    private final Path slots;
    private final Path lockFile;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private RunDirectory(Path dir, Path lockFile, FileChannel lockChannel, FileLock lock) {
        this.dir = dir;
        this.slots = dir.resolve(SLOTS);
        this.lockFile = lockFile;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Claims {@code instance} (in {@link #SYSTEM_LOCKS}) and opens {@code <root>/<instance>}.
     *
     * @throws IllegalStateException when another process (or this one) holds the instance; nothing was
     *                               changed then
     */
    public static RunDirectory open(Path root, String instance) throws IOException {
        return open(root, instance, SYSTEM_LOCKS);
    }

    /** As {@link #open(Path, String)}, claiming the instance in {@code locks} (tests). */
    static RunDirectory open(Path root, String instance, Path locks) throws IOException {
        Files.createDirectories(locks);
        Path lockFile = locks.resolve(instance + ".lock");
        FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            String holder = holder(ch);
            ch.close();
            throw new IllegalStateException("another faas-pool runs as instance '" + instance + "'" + holder
                    + " (it holds " + lockFile + "); stop it or choose another --instance");
        }
        try {
            Path dir = root.resolve(instance);
            Files.createDirectories(dir);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + " run-dir " + dir.toAbsolutePath() + "\n")
                    .getBytes(StandardCharsets.UTF_8)), 0);
            return new RunDirectory(dir, lockFile, ch, lock);
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    private static String holder(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(512);
            ch.read(b, 0);
            String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? "" : " (" + s + ")";
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Deletes the slot directories an earlier run left and makes an empty {@code slots/}. Call it only
     * once the earlier run's containers are gone; with {@code containersGone} false (they could not all
     * be removed), nothing is deleted: what is there is moved aside for the next start.
     */
    public void sweep(boolean containersGone) throws IOException {
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().equals(SLOTS) || p.getFileName().toString().startsWith(STALE))
                    .forEach(stale::add);
        }
        for (Path p : stale) {
            if (!containersGone) {
                continue;
            }
            TreeSweeper.Result r = TreeSweeper.delete(dir, p.getFileName().toString());
            if (!r.complete()) {
                log.warn("could not delete all of {} ({} entries deleted): {}", p, r.deleted(), r.stoppedBecause());
            }
        }
        if (Files.exists(slots, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Path aside = dir.resolve(STALE + System.currentTimeMillis());
            Files.move(slots, aside); // a rename: follows nothing
            log.warn("moved the earlier run's slot directories to {}; the next start sweeps them", aside);
        }
        Files.createDirectory(slots, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    }

    /** Where the slot's control socket directory goes; it does not exist yet. */
    public Path slotDir(String slotId) {
        return slots.resolve(slotId);
    }

    public Path dir() {
        return dir;
    }

    /**
     * Removes {@code slots/} if it is empty (every slot removed its own files) and the instance
     * directory if that is empty too, and releases the instance.
     */
    @Override
    public void close() throws IOException {
        try {
            Files.deleteIfExists(slots);
            Files.deleteIfExists(dir);
        } catch (IOException notEmpty) {
            log.info("{} is not empty; the next start of instance sweeps it", dir);
        } finally {
            try {
                lockChannel.truncate(0);
                lock.release();
            } finally {
                lockChannel.close();
            }
        }
    }
}
