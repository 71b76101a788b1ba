package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host side of an instance: its claim holds across run directories, and sweeping what an earlier
 * run left deletes it without following a link, however deep or hostile the tree.
 */
class RunDirectoryTest {
    @TempDir
    Path tmp;

    private Path locks() {
        return tmp.resolve("locks");
    }

    @Test
    void aSecondProcessWithTheSameInstanceIsRefusedWhateverItsRunDirectory() throws IOException {
        try (RunDirectory first = RunDirectory.open(tmp.resolve("run-a"), "prod", locks())) {
            first.sweep(true);
            Path firstSlots = first.slotDir("x").getParent();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> RunDirectory.open(tmp.resolve("run-b"), "prod", locks()));
            assertTrue(e.getMessage().contains("another faas-pool runs as instance 'prod'"), e.getMessage());
            assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
            assertTrue(Files.isDirectory(firstSlots), "the first instance's directory is untouched");
            assertFalse(Files.exists(tmp.resolve("run-b").resolve("prod")), "the refused one made nothing");
            // Another name is another instance.
            try (RunDirectory other = RunDirectory.open(tmp.resolve("run-b"), "staging", locks())) {
                other.sweep(true);
            }
        }
        try (RunDirectory again = RunDirectory.open(tmp.resolve("run-b"), "prod", locks())) {
            again.sweep(true); // released by close
        }
    }

    @Test
    void sweepingNeverFollowsALinkAndSurvivesAChainDeeperThanPathMax() throws IOException {
        Path canaryDir = Files.createDirectories(tmp.resolve("host"));
        Path canary = Files.writeString(canaryDir.resolve("precious"), "host data");
        Path slots = Files.createDirectories(tmp.resolve("run").resolve("inst").resolve("slots"));
        // What a function could leave in a writable slot directory of an older version:
        Path slot = Files.createDirectories(slots.resolve("fn-1"));
        Files.createSymbolicLink(slot.resolve("victim"), canaryDir);           // a link to a host directory
        Files.createSymbolicLink(slot.resolve("file-link"), canary);           // and to a host file
        Path d = Files.createDirectories(slot.resolve("d"));
        Files.createSymbolicLink(d.resolve("inner"), canaryDir);
        Path chainTop = Files.createDirectories(slots.resolve("fn-2"));
        makeChain(chainTop, 3000);                                             // ~6000 bytes of path

        try (RunDirectory rd = RunDirectory.open(tmp.resolve("run"), "inst", locks())) {
            rd.sweep(true);
            assertTrue(Files.exists(canary), "the host file survives");
            assertEquals("host data", Files.readString(canary));
            assertTrue(Files.isDirectory(slots), "a fresh slots directory");
            try (Stream<Path> s = Files.list(rd.dir())) {
                assertEquals(java.util.List.of(slots), s.toList(), "only a fresh, empty slots directory is left");
            }
            try (Stream<Path> s = Files.list(slots)) {
                assertEquals(0, s.count());
            }
        }
    }

    @Test
    void whenTheEarlierContainersMayStillRunNothingIsDeletedOnlyMovedAside() throws IOException {
        Path slots = Files.createDirectories(tmp.resolve("run").resolve("inst").resolve("slots"));
        Path kept = Files.writeString(Files.createDirectories(slots.resolve("fn-1")).resolve("file"), "x");
        try (RunDirectory rd = RunDirectory.open(tmp.resolve("run"), "inst", locks())) {
            rd.sweep(false);
            assertFalse(Files.exists(kept));
            try (Stream<Path> s = Files.list(rd.dir())) {
                Path aside = s.filter(p -> p.getFileName().toString().startsWith("slots.stale-")).findFirst().orElseThrow();
                assertEquals("x", Files.readString(aside.resolve("fn-1").resolve("file")));
            }
            assertTrue(Files.isDirectory(slots));
        }
    }

    @Test
    void theSweeperRemovesLinksThemselvesAndDoesNotCrossIntoTheirTargets() throws IOException {
        Path target = Files.createDirectories(tmp.resolve("target"));
        Files.writeString(target.resolve("a"), "a");
        Path tree = Files.createDirectories(tmp.resolve("tree"));
        Files.createSymbolicLink(tree.resolve("l"), target);
        Files.writeString(Files.createDirectories(tree.resolve("sub")).resolve("f"), "f");
        TreeSweeper.Result r = TreeSweeper.delete(tmp, "tree");
        assertTrue(r.complete(), r.toString());
        assertEquals(4, r.deleted()); // l, sub/f, sub, tree
        assertFalse(Files.exists(tree, LinkOption.NOFOLLOW_LINKS));
        assertEquals("a", Files.readString(target.resolve("a")));
    }

    /** A chain {@code a/a/a/...} made one relative step at a time: its whole path is longer than PATH_MAX. */
    private static void makeChain(Path top, int depth) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("python3", "-c",
                "import os,sys\nfor _ in range(int(sys.argv[1])):\n    os.mkdir('a'); os.chdir('a')\n",
                Integer.toString(depth)).directory(top.toFile()).inheritIO();
        try {
            if (pb.start().waitFor() != 0) {
                throw new IOException("could not make the chain");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
