package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code faas-pool report}: the latency log read back as tables, and as a page Chromium renders. */
class ReportIT {
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
    void aRunsLogBecomesTablesAndAPageWithTheRightSeries() throws Exception {
        int port = PoolProcess.freePort();
        pool = PoolProcess.start(work, "report", "--pool-size", "2", "--listen", "127.0.0.1:" + port);
        pool.awaitStdout(Pattern.compile("hello: 2/2 warm"), Duration.ofSeconds(60));
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        for (int i = 0; i < 6; i++) {
            assertEquals(200, HttpProbe.get(address, "/", 30_000).status());
        }
        pool.awaitFunction("hello", f -> f.get("busy").asInt() == 0, Duration.ofSeconds(30));
        assertEquals(0, pool.stop(Duration.ofSeconds(60)));
        Path log;
        try (Stream<Path> s = Files.list(pool.reports)) {
            log = s.filter(p -> p.toString().endsWith(".hlog")).findFirst().orElseThrow();
        }

        Path html = work.resolve("report.html");
        Run report = run(PoolProcess.javaCommand("report", log.toString(), "--html", html.toString()));
        assertEquals(0, report.exit(), report.output());
        Matcher count = Pattern.compile("(?m)^\\s+count\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)$")
                .matcher(report.output());
        assertTrue(count.find(), report.output());
        assertEquals(6, Integer.parseInt(count.group(1)) + Integer.parseInt(count.group(2)), "warm + cold");
        assertEquals(6, Integer.parseInt(count.group(3)), "queue");
        assertTrue(report.output().contains("percentile       warm       cold      queue    service      start"),
                report.output());

        String rendered = chromiumDom(html);
        Matcher check = Pattern.compile("(?s)<pre id=\"render-check\">(.*?)</pre>").matcher(rendered);
        assertTrue(check.find(), rendered);
        List<String> lines = check.group(1).lines().toList();
        assertTrue(lines.get(0).startsWith("hello-latency: warm"), lines.toString());
        assertTrue(lines.get(0).contains("queue") && lines.get(0).contains("service") && lines.get(0).contains("start"),
                lines.toString());
        assertTrue(lines.get(1).startsWith("throughput: hello "), lines.toString());
        assertEquals("occupancy: hello starting, hello warm, hello busy", lines.get(2));
    }

    @Test
    void aFileThatIsNotALatencyLogIsRefusedWithExit2() throws Exception {
        Path bogus = Files.writeString(work.resolve("bogus.hlog"), "hello\n");
        Run r = run(PoolProcess.javaCommand("report", bogus.toString()));
        assertEquals(2, r.exit());
        assertTrue(r.output().startsWith("faas-pool report: " + bogus), r.output());
    }

    private record Run(int exit, String output) {}

    private static Run run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out);
    }

    /** The page's DOM after Chromium loaded and rendered it (headless, offline, a fresh profile). */
    private String chromiumDom(Path html) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + work.resolve("chromium-profile"), "--virtual-time-budget=5000",
                "--dump-dom", html.toUri().toString()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish");
        return dom;
    }
}
