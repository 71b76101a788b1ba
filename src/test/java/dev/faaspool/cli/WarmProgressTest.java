package dev.faaspool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.pool.StartFailure;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The warm-up progress line and its once-per-reason messages. */
class WarmProgressTest {
    private static final StartFailure EXEC = new StartFailure("its container exited before the init said hello", 127,
            false, "faas-init: exec /app/handler: No such file or directory", 0);
    private static final StartFailure TIMEOUT = new StartFailure(
            "its init did not connect and say hello within 5000 ms", -1, false, "", 0);

    @Test
    void theLineShowsEachFunctionsWarmOfItsMinimumAndWhyItIsShort() {
        assertEquals("hello: 7/20 warm", WarmProgress.line(List.of(new WarmProgress.Progress("hello", 7, 20, null))));
        assertEquals("hello: 20/20 warm  |  python: 0/4 warm \u2014 its container exited before the init said hello: "
                        + "exit 127, \"faas-init: exec /app/handler: No such file or directory\"",
                WarmProgress.line(List.of(new WarmProgress.Progress("hello", 20, 20, null),
                        new WarmProgress.Progress("python", 0, 4, EXEC))));
        assertEquals("python: 4/4 warm", WarmProgress.line(List.of(new WarmProgress.Progress("python", 4, 4, EXEC))),
                "a failure of a function warm enough is not news");
        assertEquals("", WarmProgress.line(List.of()));
    }

    @Test
    void aReasonIsToldOncePerFunctionAndAgainOnlyWhenItChanges() {
        WarmProgress p = quiet();
        try {
            List<WarmProgress.Progress> failing = List.of(new WarmProgress.Progress("python", 0, 4, EXEC),
                    new WarmProgress.Progress("node", 0, 1, EXEC));
            assertEquals(List.of(
                    "python: cannot get warm (0/4): its container exited before the init said hello: exit 127, "
                            + "\"faas-init: exec /app/handler: No such file or directory\"; retrying with back-off",
                    "node: cannot get warm (0/1): its container exited before the init said hello: exit 127, "
                            + "\"faas-init: exec /app/handler: No such file or directory\"; retrying with back-off"),
                    p.news(failing));
            assertEquals(List.of(), p.news(failing), "the same reason again: nothing new");
            StartFailure sameKindOtherOutput = new StartFailure(EXEC.reason(), 127, false, "other text", 5);
            assertEquals(List.of(), p.news(List.of(new WarmProgress.Progress("python", 1, 4, sameKindOtherOutput))));
            assertEquals(1, p.news(List.of(new WarmProgress.Progress("python", 1, 4, TIMEOUT))).size());
            assertEquals(List.of(), p.news(List.of(new WarmProgress.Progress("hello", 2, 2, TIMEOUT))),
                    "warm enough: not told");
            assertEquals(List.of(), p.news(List.of(new WarmProgress.Progress("hello", 0, 2, null))));
        } finally {
            p.close();
        }
    }

    @Test
    void offATerminalNothingIsPrinted() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicInteger ticks = new AtomicInteger();
        WarmProgress p = new WarmProgress(() -> {
            ticks.incrementAndGet();
            return List.of();
        }, new PrintStream(out), false, new TaskGuard());
        try {
            awaitTicks(ticks, 2);
        } finally {
            p.close();
        }
        assertEquals("", out.toString());
    }

    @Test
    void onATerminalTheLineIsRedrawnInPlaceAndClearedAtTheEnd() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AtomicInteger ticks = new AtomicInteger();
        WarmProgress p = new WarmProgress(() -> {
            ticks.incrementAndGet();
            return List.of();
        }, new PrintStream(out), true, new TaskGuard());
        try {
            awaitTicks(ticks, 2);
        } finally {
            p.close();
        }
        String text = out.toString();
        // Each draw and the final clear start at column 0 and erase the line; nothing ever moves down a line.
        assertTrue(text.matches("(\r\033\\[2K){3,}"), text.replace("\033", "ESC"));
    }

    private static void awaitTicks(AtomicInteger ticks, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (ticks.get() < n) {
            assertTrue(System.nanoTime() < deadline, "the timer did not run " + n + " times");
            Thread.sleep(20);
        }
    }

    private static WarmProgress quiet() {
        return new WarmProgress(List::of, new PrintStream(new ByteArrayOutputStream()), false, new TaskGuard());
    }
}
