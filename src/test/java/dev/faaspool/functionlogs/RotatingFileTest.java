package dev.faaspool.functionlogs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatingFileTest {
    @TempDir
    Path dir;

    @Test
    void theFilesStayWithinTheirBoundAndKeepTheNewestLinesInOrder() throws Exception {
        try (RotatingFile f = new RotatingFile(dir, "fn", 1000, 3)) {
            for (int i = 0; i < 1000; i++) {
                f.append(String.format("line %04d %s", i, "x".repeat(40)));
            }
        }
        List<Path> files = RotatingFile.files(dir, "fn", 3);
        assertEquals(List.of(dir.resolve("fn.log.2"), dir.resolve("fn.log.1"), dir.resolve("fn.log")), files);
        try (var s = Files.list(dir)) {
            assertEquals(3, s.count(), "no other file");
        }
        List<String> all = new ArrayList<>();
        for (Path p : files) {
            assertTrue(Files.size(p) <= 1000, p + ": " + Files.size(p));
            all.addAll(Files.readAllLines(p));
        }
        assertEquals("line 0999 " + "x".repeat(40), all.getLast());
        for (int i = 1; i < all.size(); i++) {
            int prev = Integer.parseInt(all.get(i - 1).substring(5, 9));
            assertEquals(prev + 1, Integer.parseInt(all.get(i).substring(5, 9)), "consecutive, oldest first");
        }
        assertTrue(all.size() > 40, "two full files and the current: " + all.size());
    }

    @Test
    void aRestartAppendsAndCountsWhatIsThere() throws Exception {
        try (RotatingFile f = new RotatingFile(dir, "fn", 100, 2)) {
            f.append("a".repeat(59));
        }
        try (RotatingFile f = new RotatingFile(dir, "fn", 100, 2)) {
            f.append("b".repeat(59)); // 60 + 60 > 100: rotates first
        }
        assertEquals(List.of("a".repeat(59)), Files.readAllLines(dir.resolve("fn.log.1")));
        assertEquals(List.of("b".repeat(59)), Files.readAllLines(dir.resolve("fn.log")));
    }

    @Test
    void oneFileIsEmptiedWhenFull() throws Exception {
        try (RotatingFile f = new RotatingFile(dir, "fn", 100, 1)) {
            for (int i = 0; i < 10; i++) {
                f.append("line " + i + " " + "y".repeat(30));
            }
        }
        assertEquals(List.of(dir.resolve("fn.log")), RotatingFile.files(dir, "fn", 1));
        assertTrue(Files.size(dir.resolve("fn.log")) <= 100);
        assertTrue(Files.readString(dir.resolve("fn.log")).contains("line 9 "));
    }
}
