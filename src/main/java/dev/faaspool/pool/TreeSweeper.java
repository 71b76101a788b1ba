package dev.faaspool.pool;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Deletes a directory tree as root without trusting its shape: what an earlier run's containers may
 * have written (before the slot directories were mounted read-only), or what anyone put there.
 *
 * <ul>
 *   <li>Every step is relative to one open directory ({@link SecureDirectoryStream}: {@code openat},
 *       {@code unlinkat}, {@code O_NOFOLLOW}), so nothing resolves through a symbolic link: a link is
 *       removed, never followed.
 *   <li>Depth costs no descriptors and no path length: the walk holds only the directory it is in,
 *       goes down by name and back up by {@code ..}, checking that {@code ..} is the directory it came
 *       from (same device and inode). A chain deeper than {@code PATH_MAX} is deleted like any other.
 *   <li>It does not cross into another file system (a directory on another device is left).
 *   <li>It is bounded: at most {@link #MAX_STEPS} directory entries looked at. What it leaves is
 *       counted and explained, never a reason to fail.
 * </ul>
 * Run it only when nothing else writes to the tree (an earlier run's containers are gone); should
 * something move a directory meanwhile, the {@code ..} check stops the walk.
 */
final class TreeSweeper {
    static final int MAX_STEPS = 1_000_000;
    private static final Path UP = Path.of("..");
    private static final Pattern DEV = Pattern.compile("\\(dev=([0-9a-f]+),");

    /** What a sweep did: entries deleted, whether it finished, and why it stopped if not. */
    record Result(int deleted, boolean complete, String stoppedBecause) {}

    private TreeSweeper() {}

    /**
     * Deletes {@code parent/name} and everything below it, within the bounds above. {@code parent} is
     * trusted (the pool's own directory); {@code name} and what it holds are not.
     */
    static Result delete(Path parent, String name) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent)) {
            if (!(ds instanceof SecureDirectoryStream<Path> root)) {
                return new Result(0, false, "this platform has no secure directory streams");
            }
            return walk(root, Path.of(name));
        } catch (IOException e) {
            return new Result(0, false, parent + ": " + e);
        }
    }

    private static Result walk(SecureDirectoryStream<Path> root, Path top) {
        int deleted = 0;
        int steps = 0;
        BasicFileAttributes topAttrs;
        try {
            topAttrs = attributes(root, top);
        } catch (NoSuchFileException e) {
            return new Result(0, true, "");
        } catch (IOException e) {
            return new Result(0, false, top + ": " + e);
        }
        if (!topAttrs.isDirectory()) {
            try {
                root.deleteFile(top);
                return new Result(1, true, "");
            } catch (IOException e) {
                return new Result(0, false, top + ": " + e);
            }
        }
        Object device = deviceOf(topAttrs);
        if (device == null) {
            return new Result(0, false, "cannot tell the device of " + top);
        }
        Deque<Path> names = new ArrayDeque<>();      // the path from top down to where the walk is
        Deque<Object> keys = new ArrayDeque<>();     // file keys of the directories above it
        SecureDirectoryStream<Path> cur = null;
        try {
            cur = root.newDirectoryStream(top, LinkOption.NOFOLLOW_LINKS);
            Object curKey = topAttrs.fileKey();
            while (true) {
                Path down = null;
                for (Path p : cur) {
                    if (++steps > MAX_STEPS) {
                        return new Result(deleted, false, "more than " + MAX_STEPS + " entries");
                    }
                    Path n = p.getFileName();
                    BasicFileAttributes a = attributes(cur, n);
                    if (!a.isDirectory()) { // files, sockets, and symbolic links themselves: unlinkat never follows
                        cur.deleteFile(n);
                        deleted++;
                    } else if (!device.equals(deviceOf(a))) {
                        return new Result(deleted, false, where(top, names, n) + ": another file system is mounted there");
                    } else {
                        down = n;
                        break;
                    }
                }
                if (down != null) {
                    SecureDirectoryStream<Path> child = cur.newDirectoryStream(down, LinkOption.NOFOLLOW_LINKS);
                    cur.close();
                    cur = child;
                    keys.push(curKey);
                    names.push(down);
                    curKey = cur.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
                    continue;
                }
                if (names.isEmpty()) {
                    cur.close();
                    cur = null;
                    root.deleteDirectory(top);
                    return new Result(deleted + 1, true, "");
                }
                // Empty: back up one level by "..", which must be the directory the walk came from.
                SecureDirectoryStream<Path> parent = cur.newDirectoryStream(UP, LinkOption.NOFOLLOW_LINKS);
                cur.close();
                cur = parent;
                curKey = keys.pop();
                Object parentKey = cur.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
                if (!curKey.equals(parentKey)) {
                    return new Result(deleted, false, where(top, names, null) + " was moved during the sweep");
                }
                cur.deleteDirectory(names.pop());
                deleted++;
            }
        } catch (DirectoryNotEmptyException e) {
            return new Result(deleted, false, "a directory filled up during the sweep: " + e.getFile());
        } catch (IOException | RuntimeException e) {
            return new Result(deleted, false, where(top, names, null) + ": " + e);
        } finally {
            if (cur != null) {
                try {
                    cur.close();
                } catch (IOException ignored) {
                    // Only a descriptor.
                }
            }
        }
    }

    /** A short description of where the walk is: the top, and how deep below it. */
    private static String where(Path top, Deque<Path> names, Path next) {
        int depth = names.size() + (next == null ? 0 : 1);
        return top + (depth == 0 ? "" : " (" + depth + " levels down)");
    }

    private static BasicFileAttributes attributes(SecureDirectoryStream<Path> dir, Path name) throws IOException {
        return dir.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
    }

    /**
     * The device of a file, from its file key ({@code (dev=...,ino=...)} on Linux), or null when the
     * platform does not say: a sweep that cannot tell does not descend.
     */
    static Object deviceOf(BasicFileAttributes a) {
        Object key = a.fileKey();
        if (key == null) {
            return null;
        }
        Matcher m = DEV.matcher(key.toString());
        return m.find() ? m.group(1) : null;
    }
}
