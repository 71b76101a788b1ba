package dev.faaspool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.config.Units;
import dev.faaspool.pool.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/swarm/stack.yml as {@code docker stack deploy} reads it, with its ${VAR:-default}s at their
 * defaults: what a node needs for faas-pool to work there. SwarmIT runs the file for real; this holds
 * where no swarm can be made.
 */
class SwarmStackTest {
    private static final Path STACK = Path.of("deploy/swarm/stack.yml");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z_]+):-([^}]*)}");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service() throws IOException {
        Map<String, Object> stack = new Yaml().load(withDefaults(Files.readString(STACK)));
        return (Map<String, Object>) ((Map<String, Object>) stack.get("services")).get("faas-pool");
    }

    /** The file's text with every ${NAME:-default} replaced by its default; a ${NAME} without one fails. */
    static String withDefaults(String text) {
        Matcher m = VARIABLE.matcher(text);
        String replaced = m.replaceAll(r -> Matcher.quoteReplacement(r.group(2)));
        Matcher bare = Pattern.compile("\\$\\{[A-Z_]+}").matcher(replaced);
        assertTrue(!bare.find(), () -> "a variable without a default: " + bare.group());
        return replaced;
    }

    @Test
    void oneFaasPoolPerNodeFromTheLocalImage() throws IOException {
        Map<String, Object> service = service();
        assertEquals("global", ((Map<?, ?>) service.get("deploy")).get("mode"));
        assertEquals("faas-pool:latest", service.get("image"));
    }

    @Test
    void itsCommandIsOneMainAccepts() throws IOException {
        DeployedCommandLine.of((List<?>) service().get("command")).assertMainAccepts();
    }

    @Test
    void theHostsNetworkAndPathsAtTheSamePlace() throws IOException {
        Map<String, Object> service = service();
        assertEquals(List.of("hostnet"), service.get("networks"));
        Map<?, ?> stack = new Yaml().load(withDefaults(Files.readString(STACK)));
        assertEquals(Map.of("external", true, "name", "host"), ((Map<?, ?>) stack.get("networks")).get("hostnet"));

        List<?> volumes = (List<?>) service.get("volumes");
        for (Object v : volumes) {
            Map<?, ?> volume = (Map<?, ?>) v;
            if (volume.get("type").equals("bind")) {
                assertEquals(volume.get("source"), volume.get("target"), () -> "not the same path inside: " + volume);
            }
        }
        List<String> targets = volumes.stream().map(v -> (Map<?, ?>) v).filter(v -> v.get("type").equals("bind"))
                .map(v -> (String) v.get("target")).toList();
        String runDir = DeployedCommandLine.of((List<?>) service.get("command")).value("--run-dir");
        assertTrue(targets.contains("/var/run/docker.sock"), targets::toString);
        assertTrue(targets.contains(runDir), () -> "the run directory " + runDir + " is not mounted: " + targets);
        assertTrue(targets.stream().anyMatch(t -> RunDirectory.SYSTEM_LOCKS.startsWith(t)),
                () -> RunDirectory.SYSTEM_LOCKS + " (instance claims) is not mounted: " + targets);
        assertTrue(targets.contains("/sys/fs/cgroup"), targets::toString);
    }

    @Test
    void swarmWaitsLongerThanTheDrain() throws IOException {
        Map<String, Object> service = service();
        assertEquals("SIGTERM", service.get("stop_signal"));
        DeployedCommandLine command = DeployedCommandLine.of((List<?>) service.get("command"));
        assertTrue(Units.parseDuration((String) service.get("stop_grace_period"))
                        .compareTo(Units.parseDuration(command.value("--drain-timeout")).multipliedBy(2)) >= 0,
                "stop_grace_period leaves time for the drain and the containers' removal");
    }
}
