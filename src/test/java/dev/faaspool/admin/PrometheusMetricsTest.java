package dev.faaspool.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.metrics.LatencyLog;
import dev.faaspool.metrics.TaskGuard;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /metrics}' JVM and process families, beside the pool's own. */
class PrometheusMetricsTest {
    @TempDir
    Path tmp;

    @Test
    void jvmAndProcessMetricsAreExposedWithLiveValues() throws IOException {
        LatencyLog latency = LatencyLog.open(tmp, "metrics-test", List.of(), Duration.ofHours(1), Clock.systemUTC());
        try {
            String text = scrape(new PrometheusMetrics(List::of, Map.of(), latency, () -> "closed", new TaskGuard()));
            assertTrue(value(text, "jvm_memory_used_bytes\\{area=\"heap\"\\}") > 0, text);
            assertTrue(value(text, "jvm_threads_current") > 0, text);
            assertTrue(value(text, "process_open_fds") > 0, text);
            // CPU time is counted by the OS; the JVM has spent some by now, and it only grows.
            double cpu = value(text, "process_cpu_seconds_total");
            assertTrue(cpu > 0, text);
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            while (System.nanoTime() < until) {
                Math.sqrt(System.nanoTime()); // burn some CPU
            }
            assertTrue(value(scrape(new PrometheusMetrics(List::of, Map.of(), latency, () -> "closed",
                    new TaskGuard())), "process_cpu_seconds_total") > cpu);
            assertEquals(0, value(text, "faas_docker_circuit_open"), "the pool's own metrics are still there");
        } finally {
            latency.finish();
        }
    }

    @Test
    void theRequestLogsDroppedLinesAreACounter() throws IOException {
        LatencyLog latency = LatencyLog.open(tmp, "metrics-test", List.of(), Duration.ofHours(1), Clock.systemUTC());
        try {
            PrometheusMetrics m = new PrometheusMetrics(List::of, Map.of(), latency, () -> "closed", new TaskGuard());
            long[] dropped = {0};
            m.requestLog(() -> dropped[0]);
            assertEquals(0, value(scrape(m), "faas_request_log_dropped_total"));
            dropped[0] = 17;
            assertEquals(17, value(scrape(m), "faas_request_log_dropped_total"));
        } finally {
            latency.finish();
        }
    }

    private static String scrape(PrometheusMetrics m) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.write(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(metrics);
        assertTrue(m.find(), "no sample " + series + " in\n" + metrics);
        return Double.parseDouble(m.group(1));
    }
}
