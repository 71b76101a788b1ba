package dev.faaspool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code env-file:}: read as docker's --env-file, relative to the YAML file, and its values never printed. */
class EnvFileTest {
    /** A value no message, spec or map may show. */
    private static final String SECRET = "s3cr3t-Zq9XwV-do-not-print";

    /** Function "api" with {@code env-file: <name>}, line 5. */
    private static String yaml(String envFile) {
        return """
                functions:
                  api:
                    image: img
                    listen: 127.0.0.1:9001
                    env-file: %s
                """.formatted(envFile);
    }

    @TempDir
    Path dir;

    @Test
    void variablesAreReadVerbatimSkippingCommentsAndBlankLines() throws Exception {
        Files.createDirectories(dir.resolve("conf/secrets"));
        write("conf/secrets/api.env", """
                # the API's credentials

                  API_TOKEN=%s
                DSN=postgres://u:p@db/x?sslmode=require
                QUOTED="kept as written"
                SPACES=  two  spaces\s
                EMPTY=
                CRLF=yes\r
                """.formatted(SECRET));
        Path config = write("conf/api.yaml", yaml("secrets/api.env")); // relative to conf/, not to the cwd
        FunctionSpec f = load(config).functions().getFirst();
        assertEquals(Map.of("API_TOKEN", SECRET, "DSN", "postgres://u:p@db/x?sslmode=require",
                "QUOTED", "\"kept as written\"", "SPACES", "  two  spaces ", "EMPTY", "", "CRLF", "yes"),
                f.secretEnv().values());
        assertEquals(SECRET, f.environment().get("API_TOKEN"));
        assertTrue(f.env().isEmpty(), "env: holds only what the YAML says");
    }

    @Test
    void anEnvFileValueAppearsInNoToStringOrErrorItFlowsInto() throws Exception {
        write("api.env", "API_TOKEN=" + SECRET + "\n");
        Path config = write("api.yaml", yaml("api.env").replace("    env-file", "    env:\n      MODE: prod\n    env-file"));
        PoolConfig pool = load(config);
        FunctionSpec f = pool.functions().getFirst();
        assertEquals(SECRET, f.environment().get("API_TOKEN"), "the handler gets it");
        for (String printed : List.of(pool.toString(), f.toString(), f.secretEnv().toString(),
                pool.withMin(3).toString(), pool.withHttp(null).toString())) {
            assertFalse(printed.contains(SECRET), printed);
            assertFalse(printed.contains("s3cr3t"), printed);
        }
        assertTrue(f.toString().contains("API_TOKEN"), "the names are shown: " + f);
        assertTrue(f.toString().contains("MODE=prod"), "env: is no secret: " + f);

        // Errors about an env-file never quote its content: a bad name, a line without '=', a reserved name,
        // a name twice, a name also in env:, a NUL in a value, an environment too large.
        List<String> bad = List.of(
                SECRET + "\n",
                "A=" + SECRET + "\n" + SECRET + "=x\n",
                "my-" + SECRET + "=v\n",
                "FAAS_X=" + SECRET + "\n",
                "A=" + SECRET + "\nA=" + SECRET + "2\n",
                "MODE=" + SECRET + "\n",
                "A=" + SECRET + "\0\n",
                "A=" + SECRET + "x".repeat(Bounds.MAX_ENV_BYTES) + "\n");
        for (String content : bad) {
            write("api.env", content);
            ConfigException e = assertThrows(ConfigException.class, () -> load(config), content);
            for (ConfigException p : e.problems()) {
                assertFalse(p.getMessage().contains("s3cr3t"), p.getMessage());
                assertFalse(String.valueOf(p.reason()).contains("s3cr3t"), p.reason());
                assertFalse(String.valueOf(p.field()).contains("s3cr3t"), p.field());
            }
            assertFalse(e.toString().contains("s3cr3t"), e.toString());
        }
        // A spec built in code: the record's own checks quote no value either.
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> Specs.function("f")
                .env(Map.of("A", SECRET)).secretEnv(Map.of("A", SECRET)).build());
        assertFalse(dup.getMessage().contains("s3cr3t"), dup.getMessage());
        IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                () -> new FunctionSpec.SecretEnv(Map.of("A", SECRET + "\0")));
        assertFalse(nul.getMessage().contains("s3cr3t"), nul.getMessage());
    }

    @Test
    void aMalformedLineIsAnErrorNamingTheEnvFileItsLineAndTheKey() throws Exception {
        Path env = write("api.env", "# ok\nGOOD=1\nFAAS_MODE=persistent\n");
        Path config = write("api.yaml", yaml("api.env"));
        assertError(fails(config), env, 3, "functions.api.env-file.FAAS_MODE",
                "is set by faas-pool itself; names starting with FAAS_ or LISTEN_ are reserved");

        write("api.env", "GOOD=1\nexport\n");
        assertError(fails(config), env, 2, "functions.api.env-file",
                "not KEY=VALUE (a line without '=' is not read from faas-pool's environment)");

        write("api.env", "GOOD=1\n1BAD=2\n");
        assertError(fails(config), env, 2, "functions.api.env-file",
                "the name before '=' is not a variable name; names match " + Bounds.ENV_NAME);

        write("api.env", "A=1\nB=2\nA=3\n");
        assertError(fails(config), env, 3, "functions.api.env-file.A", "appears twice (first on line 1)");
    }

    @Test
    void aNameInBothEnvAndTheEnvFileIsAnErrorAtTheEnvEntry() throws Exception {
        Path env = write("api.env", "MODE=from-file\n");
        Path config = write("api.yaml", yaml("api.env") + "    env:\n      MODE: prod\n");
        assertError(fails(config), config, 7, "functions.api.env.MODE",
                "is also set by env-file " + env + "; set it in one place");
    }

    @Test
    void anEnvFileThatIsNoRegularFileIsRejectedAtTheYamlLine() throws Exception {
        Path config = write("api.yaml", yaml("missing.env"));
        assertError(fails(config), config, 5, "functions.api.env-file",
                "cannot read the env-file: no such file (" + dir.resolve("missing.env") + ")");

        Files.createDirectory(dir.resolve("adir"));
        write("api.yaml", yaml("adir"));
        assertError(fails(config), config, 5, "functions.api.env-file",
                "the env-file must be a regular file (is a directory) (" + dir.resolve("adir") + ")");

        write("api.yaml", yaml("/dev/zero")); // endless: a size check alone would read forever
        assertError(fails(config), config, 5, "functions.api.env-file",
                "the env-file must be a regular file (is a device, pipe or socket) (/dev/zero)");

        Files.createSymbolicLink(dir.resolve("zero.env"), Path.of("/dev/zero"));
        write("api.yaml", yaml("zero.env"));
        assertEquals("the env-file must be a regular file (is a device, pipe or socket) (" + dir.resolve("zero.env")
                + ")", fails(config).reason(), "a link is followed to what it points at");

        Files.write(dir.resolve("big.env"), ("A=" + "x".repeat(EnvFile.MAX_BYTES) + "\n").getBytes(StandardCharsets.UTF_8));
        write("api.yaml", yaml("big.env"));
        assertEquals("the env-file is larger than 1m; an environment holds at most 64k (" + dir.resolve("big.env") + ")",
                fails(config).reason());

        Files.write(dir.resolve("latin1.env"), new byte[] {'A', '=', (byte) 0xe9, '\n'});
        write("api.yaml", yaml("latin1.env"));
        assertEquals("the env-file is not UTF-8 text (" + dir.resolve("latin1.env") + ")", fails(config).reason());

        write("api.yaml", yaml("\"\""));
        assertError(fails(config), config, 5, "functions.api.env-file", "must be the path of a KEY=VALUE file");
    }

    @Test
    void aLinkToARegularFileIsFollowedAsSecretMountsUseLinks() throws Exception {
        Files.createDirectories(dir.resolve("..data"));
        write("..data/api.env", "TOKEN=" + SECRET + "\n");
        Files.createSymbolicLink(dir.resolve("api.env"), dir.resolve("..data/api.env"));
        Path config = write("api.yaml", yaml("api.env"));
        assertEquals(Map.of("TOKEN", SECRET), load(config).functions().getFirst().secretEnv().values());
    }

    @Test
    void anEditedEnvFileChangesTheSpecSoAReloadReplacesTheContainers() throws Exception {
        write("api.env", "TOKEN=one\n");
        Path config = write("api.yaml", yaml("api.env"));
        FunctionSpec before = load(config).functions().getFirst();
        write("api.env", "TOKEN=two\n");
        FunctionSpec after = load(config).functions().getFirst();
        assertFalse(before.equals(after));
        assertEquals(before.toString(), after.toString(), "the values differ, and neither is printed");
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static PoolConfig load(Path path) throws ConfigException {
        return new ConfigLoader().load(path);
    }

    private static ConfigException fails(Path path) {
        return assertThrows(ConfigException.class, () -> load(path));
    }

    private static void assertError(ConfigException e, Path file, int line, String field, String reason) {
        assertEquals(file + ":" + line + ": " + field + ": " + reason, e.getMessage());
        assertEquals(file, e.file());
        assertEquals(line, e.line());
        assertEquals(field, e.field());
    }
}
