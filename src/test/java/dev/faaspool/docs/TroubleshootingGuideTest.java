package dev.faaspool.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/troubleshooting.md cannot rot: every message it explains is one that faas-pool, faas-init or an
 * SDK prints. The guide's convention: each entry is a level-3 heading that holds only a code span,
 * {@code ### `fragment`}, and the fragment occurs literally in a source file under {@code src/main/java}
 * or {@code runtime-init}. A message renamed in the code fails here with the fragment and its line in
 * the guide.
 */
class TroubleshootingGuideTest {
    private static final Path GUIDE = Path.of("docs/troubleshooting.md");
    private static final List<Path> SOURCE_ROOTS = List.of(Path.of("src/main/java"), Path.of("runtime-init"));
    private static final Set<String> SOURCE_SUFFIXES = Set.of(".java", ".c", ".go", ".py", ".rs", ".js");
    private static final Pattern COMMENT = Pattern.compile("\\s*(//|/\\*|\\*|#)");
    private static final Pattern ENTRY = Pattern.compile("### `([^`]+)`");
    /** The issue's floor: a guide with fewer entries does not cover what users meet. */
    private static final int AT_LEAST = 25;

    /** One entry of the guide: its message fragment and the line of its heading (from 1). */
    record Entry(String fragment, int line) {}

    /**
     * The entries of a guide's {@code lines}: every {@code ###} heading must be one, so that a heading
     * written another way is reported rather than silently not checked.
     *
     * @throws IllegalArgumentException naming the line of a {@code ###} heading that is not {@code ### `fragment`}
     */
    static List<Entry> entries(List<String> lines) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!l.startsWith("### ")) {
                continue;
            }
            Matcher m = ENTRY.matcher(l.strip());
            if (!m.matches() || m.group(1).isBlank()) {
                throw new IllegalArgumentException(GUIDE + ":" + (i + 1) + ": a ### heading must be ### `fragment`, was: " + l);
            }
            out.add(new Entry(m.group(1), i + 1));
        }
        return out;
    }

    /** The entries whose fragment none of {@code sources} contains, each as {@code guide:line: `fragment`}. */
    static List<String> missing(List<Entry> entries, List<String> sources) {
        List<String> out = new ArrayList<>();
        for (Entry e : entries) {
            if (sources.stream().noneMatch(s -> s.contains(e.fragment()))) {
                out.add(GUIDE + ":" + e.line() + ": `" + e.fragment() + "`");
            }
        }
        return out;
    }

    /**
     * The code of every source file the messages may come from, without its comment lines (those that
     * begin with {@code //}, {@code /*}, {@code *} or {@code #}): a message the code no longer prints must
     * not be found in a comment that still describes it.
     */
    private static List<String> sources() throws IOException {
        List<String> texts = new ArrayList<>();
        for (Path root : SOURCE_ROOTS) {
            try (Stream<Path> files = Files.walk(root)) {
                files.filter(Files::isRegularFile)
                        .filter(p -> SOURCE_SUFFIXES.stream().anyMatch(p.getFileName().toString()::endsWith))
                        .forEach(p -> texts.add(read(p)));
            }
        }
        assertTrue(texts.size() > 100, "the source files were found (" + texts.size() + ")");
        return texts;
    }

    private static String read(Path p) {
        try {
            return String.join("\n", Files.readAllLines(p, StandardCharsets.UTF_8).stream()
                    .filter(l -> !COMMENT.matcher(l).lookingAt()).toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Entry> guide() throws IOException {
        return entries(Files.readAllLines(GUIDE, StandardCharsets.UTF_8));
    }

    @Test
    void everyMessageTheGuideExplainsIsInTheSource() throws IOException {
        List<String> missing = missing(guide(), sources());
        assertTrue(missing.isEmpty(), "messages in the troubleshooting guide that no source file under "
                + SOURCE_ROOTS + " contains (renamed in the code? update the guide):\n" + String.join("\n", missing));
    }

    @Test
    void theGuideExplainsAtLeast25MessagesEachOnce() throws IOException {
        List<Entry> entries = guide();
        assertTrue(entries.size() >= AT_LEAST, "the guide lists " + entries.size() + " messages, fewer than " + AT_LEAST);
        Map<String, Integer> first = new HashMap<>();
        for (Entry e : entries) {
            Integer earlier = first.putIfAbsent(e.fragment(), e.line());
            assertNull(earlier, GUIDE + ":" + e.line() + ": `" + e.fragment() + "` is listed already on line " + earlier);
        }
    }

    @Test
    void aFragmentMissingFromTheSourceIsReportedWithItsLine() {
        List<Entry> entries = entries(List.of("# Guide", "", "### `cannot start:`", "text", "### `cannot stert:`"));
        assertEquals(List.of(new Entry("cannot start:", 3), new Entry("cannot stert:", 5)), entries);
        assertEquals(List.of(GUIDE + ":5: `cannot stert:`"),
                missing(entries, List.of("fail(json, \"cannot start: \" + e.getMessage());")));
    }

    @Test
    void aHeadingWrittenAnotherWayIsRefusedNotSkipped() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> entries(List.of("## Section", "### cannot start: without a code span")));
        assertTrue(e.getMessage().startsWith(GUIDE + ":2: "), e.getMessage());
    }
}
