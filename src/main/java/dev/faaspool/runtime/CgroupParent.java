package dev.faaspool.runtime;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control group a function's containers are created under, {@code /faas-pool/<instance>/<function>}
 * (Docker's {@code CgroupParent}, with the engine's cgroupfs driver). Each function's group is a sibling
 * of the others with the kernel's default weight ({@code cpu.shares} 1024, {@code cpu.weight} 100), so
 * under contention every function gets an equal share of the CPU however many containers it runs:
 * eight spinning containers of one function weigh as much as one idle container of another.
 *
 * <p>The engine makes the groups; {@link #remove} takes them away once their containers are gone.
 * Only empty directories are removed ({@code rmdir}: cgroupfs holds no files to delete), and only under
 * names this class built from validated instance and function names.
 */
public final class CgroupParent {
    private static final Logger log = LoggerFactory.getLogger(CgroupParent.class);
    static final String ROOT = "faas-pool";
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}");
    private static final Path CGROUP_FS = Path.of("/sys/fs/cgroup");

    private CgroupParent() {}

    /** The group of {@code function}'s containers in {@code instance}. */
    public static String of(String instance, String function) {
        return "/" + ROOT + "/" + checked(instance) + "/" + checked(function);
    }

    private static String checked(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a cgroup name: " + name);
        }
        return name;
    }

    /**
     * Removes the groups of {@code instance} (its functions' groups, then its own, then faas-pool's if
     * empty) from every hierarchy under /sys/fs/cgroup; one still holding a container stays. Best effort:
     * what cannot be removed is logged, never thrown.
     */
    public static void remove(String instance) {
        remove(CGROUP_FS, instance);
    }

    static void remove(Path cgroupFs, String instance) {
        String inst = checked(instance);
        List<Path> hierarchies = new ArrayList<>();
        hierarchies.add(cgroupFs); // cgroup v2: one hierarchy
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(cgroupFs)) {
            for (Path p : ds) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    hierarchies.add(p); // cgroup v1: one per controller (symlinked ones like cpu -> cpu,cpuacct are skipped)
                }
            }
        } catch (IOException e) {
            return; // no cgroup file system here
        }
        for (Path h : hierarchies) {
            Path root = h.resolve(ROOT);
            Path group = root.resolve(inst);
            if (!Files.isDirectory(group, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(group)) {
                for (Path fn : ds) {
                    if (Files.isDirectory(fn, LinkOption.NOFOLLOW_LINKS)) {
                        rmdir(fn);
                    }
                }
            } catch (IOException e) {
                log.debug("cannot list {}: {}", group, e.toString());
            }
            rmdir(group);
            try {
                Files.delete(root); // only when no other instance has a group there
            } catch (IOException stillUsed) {
                // another instance's, or not ours to judge
            }
        }
    }

    private static void rmdir(Path dir) {
        try {
            Files.delete(dir);
        } catch (IOException e) {
            log.warn("cannot remove control group {}: {}", dir, e.toString());
        }
    }
}
