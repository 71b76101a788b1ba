package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.runtime.FakeRuntime;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Why a function's last start failed, as the pool keeps it for the warm-up progress. */
class StartFailureTest {
    @TempDir
    Path tmp;

    private static final String ONE = """
            functions:
              python:
                image: faas-hello:latest
                listen: 127.0.0.1:18999
                mode: persistent
                pool: { min: 1, max: 1, scaling: fixed }
            """;

    @Test
    void theLastFailedStartIsKeptUntilAStartSucceeds() throws Exception {
        try (PoolHarness h = new PoolHarness(tmp, ONE,
                FakeRuntime.Boot.exitBeforeHello(127).printing("starting", "faas-init: exec /app/handler: not found"))) {
            FunctionPool fp = h.fn("python");
            h.await("a start failed", () -> fp.lastStartFailure() != null);
            StartFailure f = fp.lastStartFailure();
            assertEquals(127, f.exitCode());
            assertEquals("faas-init: exec /app/handler: not found", f.lastOutput());
            assertEquals("its container exited before the init said hello: exit 127, "
                    + "\"faas-init: exec /app/handler: not found\"", f.summary());

            h.advance(Duration.ofMillis(2100)); // the back-off; the next boot says hello
            h.await("warm", () -> fp.count(SlotState.WARM) == 1);
            h.await("forgotten", () -> fp.lastStartFailure() == null);
        }
    }

    @Test
    void aStartDockerRefusesHasNoExitCode() throws Exception {
        try (PoolHarness h = new PoolHarness(tmp, ONE, FakeRuntime.Boot.failStart("no such runtime: runsc"))) {
            FunctionPool fp = h.fn("python");
            h.await("a start failed", () -> fp.lastStartFailure() != null);
            String s = fp.lastStartFailure().summary();
            assertTrue(s.startsWith("Docker refused it: ") && s.contains("no such runtime: runsc"), s);
            assertTrue(!s.contains("exit"), s);
        }
    }

    @Test
    void hostileOutputCannotDrawOnTheOperatorsTerminal() {
        String hostile = "ok\u001b[2J\u001b[1;1Hfake prompt\r$ rm -rf /\u0007\u202eevil\u2066\u0085\u0000end";
        StartFailure f = new StartFailure("its container exited", 1, false, hostile, 0);
        String s = f.summary();
        assertEquals("its container exited: exit 1, \"ok?[2J?[1;1Hfake prompt?$ rm -rf /??evil???end\"", s);
        for (char c : s.toCharArray()) {
            assertTrue(c >= 0x20 && c != 0x7f && (c < 0x80 || c > 0x9f) && c != '\u202e', "char " + (int) c);
        }
    }

    @Test
    void longTextIsCutAndTheCutShown() {
        StartFailure f = new StartFailure("r".repeat(500), -1, true, "o".repeat(10_000), 0);
        String s = f.summary();
        assertEquals("r".repeat(StartFailure.MAX_SHOWN) + "…: OOM-killed, \"" + "o".repeat(StartFailure.MAX_SHOWN) + "…\"", s);
        assertEquals("emoji 🙂 kept", StartFailure.printable("emoji 🙂 kept", 100));
        assertEquals("🙂🙂…", StartFailure.printable("🙂🙂🙂", 2), "cut by characters, never inside a pair");
    }

    @Test
    void theKindIgnoresTheOutputButNotTheExit() {
        StartFailure a = new StartFailure("its container exited before the init said hello", 127, false, "pid 12", 0);
        StartFailure b = new StartFailure("its container exited before the init said hello", 127, false, "pid 13", 9);
        StartFailure c = new StartFailure("its container exited before the init said hello", 2, false, "pid 13", 9);
        assertEquals(a.kind(), b.kind());
        assertNotEquals(a.kind(), c.kind());
    }
}
