package dev.faaspool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** deploy/systemd/faas-pool.service cannot rot: its keys, and an ExecStart that faas-pool itself accepts. */
class SystemdUnitTest {
    private static final Path UNIT = Path.of("deploy/systemd/faas-pool.service");

    /** {@code [Service]}'s keys (continuation lines joined), as systemd reads them; a key given twice keeps its last value. */
    private static Map<String, String> service() throws IOException {
        Map<String, String> keys = new LinkedHashMap<>();
        String section = null;
        StringBuilder line = new StringBuilder();
        for (String raw : Files.readAllLines(UNIT, StandardCharsets.UTF_8)) {
            String l = raw.strip();
            if (line.isEmpty() && (l.isEmpty() || l.startsWith("#") || l.startsWith(";"))) {
                continue;
            }
            if (l.endsWith("\\")) {
                line.append(l, 0, l.length() - 1).append(' ');
                continue;
            }
            line.append(l);
            String full = line.toString();
            line.setLength(0);
            if (full.startsWith("[")) {
                section = full;
            } else if ("[Service]".equals(section)) {
                int eq = full.indexOf('=');
                keys.put(full.substring(0, eq).strip(), full.substring(eq + 1).strip());
            }
        }
        return keys;
    }

    private static Duration seconds(String v) {
        assertTrue(v.matches("\\d+s|\\d+min"), "a duration in s or min: " + v);
        return v.endsWith("min") ? Duration.ofMinutes(Long.parseLong(v.replace("min", "")))
                : Duration.ofSeconds(Long.parseLong(v.replace("s", "")));
    }

    @Test
    void theServiceIsNotifyReloadsWithAHangupAndRestartsOnFailure() throws IOException {
        Map<String, String> s = service();
        assertEquals("notify", s.get("Type"));
        assertEquals("main", s.get("NotifyAccess"));
        assertEquals("/bin/kill -HUP $MAINPID", s.get("ExecReload"));
        assertEquals("SIGTERM", s.get("KillSignal"));
        assertEquals("on-failure", s.get("Restart"));
    }

    @Test
    void execStartIsACommandLineFaasPoolAcceptsAndStopWaitsLongerThanTheDrain() throws Exception {
        Map<String, String> s = service();
        List<String> words = new ArrayList<>(List.of(s.get("ExecStart").split("\\s+")));
        int jar = words.indexOf("-jar");
        assertTrue(jar > 0 && words.get(jar + 1).endsWith("/faas-pool.jar"), "java -jar .../faas-pool.jar: " + words);
        List<String> args = words.subList(jar + 2, words.size());
        assertTrue(args.contains("--agent") && args.contains("--drain-delay"), "the unit drains behind a balancer: " + args);

        PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Main main = new Main(sink, sink);
        new CommandLine(main).parseArgs(args.toArray(String[]::new)); // an unknown option throws
        Duration delay = java.time.Duration.parse("PT" + args.get(args.indexOf("--drain-delay") + 1).toUpperCase());
        Duration drain = java.time.Duration.parse("PT" + args.get(args.indexOf("--drain-timeout") + 1).toUpperCase());
        Duration stop = seconds(s.get("TimeoutStopSec"));
        assertTrue(stop.compareTo(delay.plus(drain).plusSeconds(10)) >= 0,
                "TimeoutStopSec " + stop + " leaves time for drain delay " + delay + ", drain " + drain + " and removal");
    }
}
