package dev.faaspool.functionlogs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.runtime.ContainerOutput;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class FunctionLogsTest {

    @TempDir
    Path dir;

    private static final java.util.concurrent.atomic.AtomicLong NANOS = new java.util.concurrent.atomic.AtomicLong();

    /** A message as the engine sends it, each with a later time than the one before. */
    private static byte[] msg(String text) {
        String time = java.time.format.DateTimeFormatter.ISO_INSTANT.format(
                java.time.Instant.parse("2026-12-02T18:30:00Z").plusNanos(NANOS.incrementAndGet()));
        return (time + " " + text + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The stored line without its time. */
    private static String untimed(String line) {
        return line.substring(line.indexOf(' ') + 1);
    }

    private static List<String> lines(Path dir, String fn) throws Exception {
        List<String> all = new ArrayList<>();
        for (Path p : RotatingFile.files(dir, fn, FunctionLogs.FILES)) {
            all.addAll(Files.readAllLines(p));
        }
        return all;
    }

    @Test
    void linesGoToTheFunctionsFileAndToTheEchoWithFunctionAndSlot() throws Exception {
        ByteArrayOutputStream echoed = new ByteArrayOutputStream();
        try (FunctionLogs logs = new FunctionLogs(dir, new PrintStream(echoed, true, StandardCharsets.UTF_8),
                Clock.systemUTC())) {
            ContainerOutput.Receiver r = logs.open("fn", "fn-7", "0123456789abcdef");
            r.frame(false, msg("hello"));
            r.frame(true, msg("\u001b[31mred"));
            r.end();
        }
        assertEquals(List.of("fn-7/0123456789ab out hello", "fn-7/0123456789ab err \\x1b[31mred"),
                Files.readAllLines(dir.resolve("fn.log")).stream().map(FunctionLogsTest::untimed).toList());
        assertEquals("fn/fn-7: hello\nfn/fn-7: \\x1b[31mred\n", echoed.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aFunctionThatRanButWroteNothingHasAnEmptyLog() throws Exception {
        try (FunctionLogs logs = new FunctionLogs(dir, null, Clock.systemUTC())) {
            logs.open("quiet", "quiet-1", "abc").end();
        }
        assertEquals(List.of(), Files.readAllLines(dir.resolve("quiet.log")));
    }

    @Test
    void aFloodIsDroppedAndCountedWithinTheDiskBoundWhileAnotherFunctionLosesNothing() throws Exception {
        long fileBytes = 4L * 1024 * 1024; // more than the queue holds: the last note of drops stays in the files
        PrometheusRegistry registry = new PrometheusRegistry();
        // A slow terminal behind --log-handlers: the writer falls behind the flood, never behind a calm function.
        PrintStream slowEcho = new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    Thread.sleep(0, 200_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }, false, StandardCharsets.UTF_8);
        try (FunctionLogs logs = new FunctionLogs(dir, slowEcho, Clock.systemUTC(), fileBytes, 3)) {
            logs.register(registry);
            ContainerOutput.Receiver flood = logs.open("flood", "flood-1", "f1");
            ContainerOutput.Receiver calm = logs.open("calm", "calm-1", "c1");
            String big = "z".repeat(8 * 1024);
            Thread flooder = new Thread(() -> {
                for (int i = 0; i < 20_000; i++) { // 160 MiB, as fast as a thread can offer them
                    flood.frame(false, msg(big));
                }
                flood.end();
            });
            flooder.start();
            for (int i = 0; i < 200; i++) {
                calm.frame(i % 2 == 1, msg("calm " + i));
                Thread.sleep(1);
            }
            calm.end();
            flooder.join();
            assertTrue(logs.dropped("flood") > 0, "the flood did not fit");
            assertEquals(0, logs.dropped("calm"));
            ByteArrayOutputStream scrape = new ByteArrayOutputStream();
            PrometheusTextFormatWriter.create().write(scrape, registry.scrape());
            assertTrue(scrape.toString(StandardCharsets.UTF_8).contains(
                    "faas_function_log_lines_dropped_total{function=\"flood\"} " + logs.dropped("flood")), scrape.toString());
        }
        List<String> calm = lines(dir, "calm");
        assertEquals(200, calm.size());
        for (int i = 0; i < 200; i++) {
            assertEquals("calm-1/c1 " + (i % 2 == 1 ? "err" : "out") + " calm " + i, untimed(calm.get(i)));
        }
        long onDisk = 0;
        for (Path p : RotatingFile.files(dir, "flood", 3)) {
            onDisk += Files.size(p);
        }
        assertTrue(onDisk <= 3 * fileBytes, "on disk: " + onDisk);
        assertTrue(lines(dir, "flood").stream().anyMatch(l -> l.contains(" faas-pool meta dropped ")),
                "the file says lines are missing");
    }
}
