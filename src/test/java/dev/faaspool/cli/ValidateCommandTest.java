package dev.faaspool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.config.ConfigException;
import dev.faaspool.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code faas-pool validate}: exit 0 with a count, or 1 with every error on a line of its own; no Docker. */
class ValidateCommandTest {
    @TempDir
    Path dir;

    /** The examples of pool-config/, each valid on its own. */
    static Stream<Path> examples() throws ConfigException {
        return new ConfigLoader().files(Path.of("pool-config")).stream();
    }

    @ParameterizedTest
    @MethodSource("examples")
    void everyExampleIsValid(Path example) {
        Run r = run("validate", example.toString());
        assertEquals(0, r.code, r.err);
        assertEquals("ok: 1 function in 1 file\n", r.out);
        assertEquals("", r.err);
    }

    @Test
    void theWholeExampleDirectoryIsValid() {
        Run r = run("validate", "pool-config");
        assertEquals(0, r.code, r.err);
        assertEquals("ok: 14 functions in 14 files\n", r.out, "as README.md says");
    }

    /**
     * The malformed configurations of the existing tests (ConfigLoaderTest, FailureIT, ReloadIT): validate
     * prints what the loader reports, each on one line, and exits 1.
     */
    static List<String[]> malformed() {
        String hello = "functions:\n  fn:\n    image: faas-hello:latest\n    listen: 127.0.0.1:8080\n";
        return List.of(
                new String[] {hello + "    pool: { min: -1 }\n", ":5: functions.fn.pool.min: must be >= 0 (was -1)"},
                new String[] {hello + "    pool: { min: 1, maxx: 3 }\n", ":5: functions.fn.pool.maxx: unknown field;"},
                new String[] {hello.replace("    listen", "   listen"), ":4: not valid YAML: "},
                new String[] {hello + "    limits:\n      memory: 12q\n", ":6: functions.fn.limits.memory: '12q' is not a size"},
                new String[] {hello + "    image: other\n", ":5: functions.fn.image: appears twice (first on line 3)"},
                new String[] {"functions:\n  fn:\n    listen: 127.0.0.1:8080\n", ":3: functions.fn.image: is required"},
                new String[] {hello + "function: {}\n", ":5: function: unknown field; expected one of functions, host, http"},
                new String[] {hello + "    network: host\n", ":5: functions.fn.network: host is refused"},
                new String[] {"# nothing yet\n", ": functions: no function is declared"});
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void aMalformedConfigurationExitsOneWithItsError(String yaml, String expected) throws Exception {
        Path file = Files.writeString(dir.resolve("pool.yaml"), yaml);
        Run r = run("validate", file.toString());
        assertEquals(1, r.code, r.out + r.err);
        assertEquals("", r.out);
        assertTrue(r.err.startsWith(file + expected), r.err);
        ConfigException loaded = assertThrows(ConfigException.class, () -> new ConfigLoader().load(file));
        assertEquals(loaded.getMessage() + "\n", r.err, "exactly what the loader reports");
    }

    @Test
    void everyErrorOfADirectoryIsPrintedOnePerLine() throws Exception {
        Path a = Files.writeString(dir.resolve("a.yaml"), """
                functions:
                  one:
                    image: img
                    listen: 127.0.0.1:9001
                    pool: { min: -1 }
                  two:
                    image: img
                    listen: 127.0.0.1:9002
                    limits: { memory: 1q }
                """);
        Path b = Files.writeString(dir.resolve("b.yaml"), "functions:\n  three:\n    image: img\n    lisen: x\n");
        Files.writeString(dir.resolve("c.yaml"), "functions:\n  four:\n    image: img\n    listen: 127.0.0.1:9004\n");
        Run r = run("validate", dir.toString());
        assertEquals(1, r.code);
        List<String> lines = r.err.lines().toList();
        assertEquals(3, lines.size(), r.err);
        assertTrue(lines.get(0).startsWith(a + ":5: functions.one.pool.min: "), lines.get(0));
        assertTrue(lines.get(1).startsWith(a + ":9: functions.two.limits.memory: "), lines.get(1));
        assertTrue(lines.get(2).startsWith(b + ":4: functions.three.lisen: unknown field"), lines.get(2));

        Files.delete(a);
        Files.writeString(b, "functions:\n  three:\n    image: img\n    listen: 127.0.0.1:9003\n");
        Run ok = run("validate", dir.toString());
        assertEquals("ok: 2 functions in 2 files\n", ok.out);
        assertEquals(0, ok.code);
    }

    @Test
    void aFunctionWithoutListenNeedsHttpInTheFilesOrOnTheCommandLine() throws Exception {
        Path file = Files.writeString(dir.resolve("pool.yaml"), "functions:\n  fn:\n    image: img\n");
        Run r = run("validate", file.toString());
        assertEquals(1, r.code);
        assertEquals(file + ": http: function fn has no listen address and there is no front listener: set http:"
                + " HOST:PORT (or --http), or give it a listen address\n", r.err);
        Run given = run("validate", "--http", "127.0.0.1:8080", file.toString());
        assertEquals(0, given.code, given.err);
        assertEquals("ok: 1 function in 1 file\n", given.out);
        Run bad = run("validate", "--http", "127.0.0.1:99999", file.toString());
        assertEquals(1, bad.code);
        assertEquals("--http: port must be within 1..65535 (was 99999)\n", bad.err);
    }

    @Test
    void aMissingPathExitsOneAndNoArgumentIsAUsageError() {
        Run r = run("validate", dir.resolve("missing").toString());
        assertEquals(1, r.code);
        assertEquals(dir.resolve("missing") + ": no such file or directory\n", r.err);
        assertEquals(2, run("validate").code, "picocli's usage error, as for any missing parameter");
    }

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.commandLine(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).execute(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
