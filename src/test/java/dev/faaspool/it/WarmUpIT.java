package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an operator sees while a function cannot get warm: the function and the reason, soon, once. */
class WarmUpIT {
    @TempDir
    Path work;
    private PoolProcess pool;

    @AfterEach
    void cleanUp() throws Exception {
        if (pool != null) {
            pool.close();
        }
    }

    @Test
    void aFunctionWhoseInitExitsBeforeHelloIsNamedWithTheReasonWithinSeconds() throws Exception {
        // In persistent mode faas-init execs the handler before its hello: a command that does not exist
        // ends the container at once, with 127 and the init's message, every time.
        Path config = Files.writeString(work.resolve("pool.yaml"), """
                functions:
                  hello:
                    image: faas-hello:latest
                    listen: 127.0.0.1:%d
                    pool: { min: 1, max: 1, scaling: fixed }
                  broken:
                    image: faas-runtime:slim
                    command: ["/does-not-exist"]
                    mode: persistent
                    listen: 127.0.0.1:%d
                    pool: { min: 2, max: 2, scaling: fixed }
                """.formatted(PoolProcess.freePort(), PoolProcess.freePort()));
        long started = System.nanoTime();
        pool = PoolProcess.start(work, "warmup", "--config", config.toString());

        Matcher told = pool.awaitLog(Pattern.compile("broken: cannot get warm \\(0/2\\): (.*)"), Duration.ofSeconds(20));
        double secs = (System.nanoTime() - started) / 1e9;
        assertEquals("its container exited before the init said hello: exit 127, "
                + "\"faas-init: exec /does-not-exist: No such file or directory\"; retrying with back-off", told.group(1));
        System.out.printf(java.util.Locale.ROOT, "WarmUpIT: told %.1f s after the process started%n", secs);
        assertTrue(secs < 10, "told after " + secs + " s");

        // Starts keep failing (with back-off): each is in the log in detail, the plain message only once.
        pool.awaitLog(Pattern.compile("(?s)(broken: slot \\S+ \\(container \\S+\\) did not become warm.*){4}"),
                Duration.ofSeconds(30));
        assertEquals(1, count(pool.stderr(), "cannot get warm"), pool.stderr());
        assertFalse(pool.stderr().contains("hello: cannot get warm"), "the healthy function is not named");
        // Off a terminal (the output is a file here, as under systemd) no progress line is printed.
        assertFalse(pool.stdout().contains(" warm"), pool.stdout());
        assertEquals(503, HttpProbe.get(pool.admin, "/readyz", 5_000).status());
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
