package dev.faaspool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.config.ConfigException;
import dev.faaspool.config.ConfigLoader;
import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.PoolConfig;
import dev.faaspool.config.Units;
import dev.faaspool.pool.RunDirectory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * Every manifest in deploy/kubernetes/ (multi-document YAML), checked for what faas-pool needs on a
 * node: the host's network, the engine's socket and the run directory at the node's paths, probes on
 * the admin endpoint, a grace period longer than the drain, a command line Main accepts, and a
 * ConfigMap the config loader accepts. No cluster here: this is as far as this machine can check.
 */
class KubernetesManifestsTest {
    private static final Path DIR = Path.of("deploy/kubernetes");
    private static final List<Map<String, Object>> DOCUMENTS = new ArrayList<>();

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                for (Object doc : new Yaml().loadAll(Files.readString(f))) {
                    if (doc != null) {
                        Map<String, Object> d = (Map<String, Object>) doc;
                        assertNotNull(d.get("apiVersion"), () -> f + ": a document without apiVersion");
                        DOCUMENTS.add(d);
                    }
                }
            }
        }
    }

    private static Map<String, Object> only(String kind) {
        List<Map<String, Object>> of = DOCUMENTS.stream().filter(d -> kind.equals(d.get("kind"))).toList();
        assertEquals(1, of.size(), () -> "one " + kind + " in " + DIR);
        return of.getFirst();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object parent, String... path) {
        Object o = parent;
        for (String key : path) {
            o = ((Map<String, Object>) o).get(key);
            String at = key;
            assertNotNull(o, () -> "no " + at + " in " + String.join(".", path));
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
        return (List<Map<String, Object>>) parent.getOrDefault(key, List.of());
    }

    private static Map<String, Object> podSpec() {
        return map(only("DaemonSet"), "spec", "template", "spec");
    }

    private static Map<String, Object> container() {
        List<Map<String, Object>> containers = list(podSpec(), "containers");
        assertEquals(1, containers.size());
        return containers.getFirst();
    }

    private static DeployedCommandLine args() {
        return DeployedCommandLine.of((List<?>) container().get("args"));
    }

    private static Map<String, Object> volume(String name) {
        return list(podSpec(), "volumes").stream().filter(v -> name.equals(v.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    @Test
    void theDaemonSetRunsTheLocalImageOnTheHostsNetwork() {
        assertEquals(true, podSpec().get("hostNetwork"));
        assertEquals("ClusterFirstWithHostNet", podSpec().get("dnsPolicy"));
        assertEquals("faas-pool:latest", container().get("image"));
        assertEquals("Never", container().get("imagePullPolicy"), "there is no registry to pull it from");
    }

    @Test
    void rootWithCapChownAloneOnAReadOnlyRoot() {
        Map<String, Object> security = map(container(), "securityContext");
        assertEquals(0, security.get("runAsUser"));
        assertEquals(true, security.get("readOnlyRootFilesystem"));
        assertEquals(false, security.get("allowPrivilegeEscalation"));
        assertEquals(Map.of("drop", List.of("ALL"), "add", List.of("CHOWN")), security.get("capabilities"));
        List<Object> writable = list(container(), "volumeMounts").stream().map(m -> m.get("mountPath")).toList();
        assertTrue(writable.containsAll(List.of("/tmp", "/var/lib/faas-pool")), () -> "not writable: " + writable);
    }

    @Test
    void itsArgsAreACommandLineMainAccepts() {
        args().assertMainAccepts();
        args().value("--drain-delay"); // the drain a rolling update relies on (pending in Main until merged)
    }

    @Test
    void theNodesPathsAreMountedAtTheSamePlace() {
        List<String> sameAsNode = new ArrayList<>();
        for (Map<String, Object> mount : list(container(), "volumeMounts")) {
            Map<String, Object> volume = volume((String) mount.get("name"));
            if (volume.get("hostPath") instanceof Map<?, ?> hostPath) {
                assertEquals(hostPath.get("path"), mount.get("mountPath"), () -> "not the node's path: " + mount);
                sameAsNode.add((String) mount.get("mountPath"));
            }
        }
        String runDir = args().value("--run-dir");
        assertTrue(sameAsNode.contains("/var/run/docker.sock"), sameAsNode::toString);
        assertEquals("Socket", map(volume("docker-socket"), "hostPath").get("type"));
        assertTrue(sameAsNode.contains(runDir), () -> "the run directory " + runDir + " is not the node's: " + sameAsNode);
        assertTrue(sameAsNode.stream().anyMatch(p -> RunDirectory.SYSTEM_LOCKS.startsWith(p)),
                () -> RunDirectory.SYSTEM_LOCKS + " (instance claims) is not the node's: " + sameAsNode);
        assertTrue(sameAsNode.contains("/sys/fs/cgroup"), sameAsNode::toString);
    }

    @Test
    void probesAskTheAdminEndpoint() {
        InetSocketAddress admin = adminAddress(args().value("--admin"));
        Map<String, Object> ready = map(container(), "readinessProbe", "httpGet");
        Map<String, Object> live = map(container(), "livenessProbe", "httpGet");
        assertEquals("/readyz", ready.get("path"));
        assertEquals("/healthz", live.get("path"));
        for (Map<String, Object> probe : List.of(ready, live)) {
            assertEquals(admin.getPort(), probe.get("port"));
            assertEquals(admin.getHostString(), probe.get("host"), "the kubelet shares the pod's loopback (hostNetwork)");
        }
    }

    @Test
    void theGracePeriodOutlastsTheDrain() {
        DeployedCommandLine args = args();
        Duration drain = Units.parseDuration(args.value("--drain-delay")).plus(Units.parseDuration(args.value("--drain-timeout")));
        Duration grace = Duration.ofSeconds(((Number) podSpec().get("terminationGracePeriodSeconds")).longValue());
        assertTrue(grace.compareTo(drain.plusSeconds(15)) >= 0,
                () -> "terminationGracePeriodSeconds " + grace + " leaves less than 15 s after the drain " + drain
                        + " to remove the containers");
    }

    @Test
    void theConfigMapIsMountedWhereConfigPointsAndLoads(@TempDir Path dir) throws IOException, ConfigException {
        Map<String, Object> configMap = only("ConfigMap");
        Map<String, Object> mount = list(container(), "volumeMounts").stream()
                .filter(m -> map(volume((String) m.get("name"))).containsKey("configMap")).findFirst()
                .orElseThrow(() -> new AssertionError("no ConfigMap volume mounted"));
        assertEquals(args().value("--config"), mount.get("mountPath"));
        assertEquals(map(configMap, "metadata").get("name"), map(volume((String) mount.get("name")), "configMap").get("name"));

        Map<String, Object> data = map(configMap, "data");
        assertFalse(data.isEmpty());
        for (Map.Entry<String, Object> file : data.entrySet()) {
            Files.writeString(dir.resolve(file.getKey()), (String) file.getValue());
        }
        PoolConfig config = new ConfigLoader().load(dir);
        List<Integer> ports = list(container(), "ports").stream().map(p -> (Integer) p.get("containerPort")).toList();
        for (FunctionSpec f : config.functions()) {
            if (f.listen() != null) {
                assertTrue(ports.contains(f.listen().getPort()), () -> f.name() + "'s port is not declared: " + ports);
            }
        }
    }

    @Test
    void theServiceSelectsThePodsAndTheirPorts() {
        Map<String, Object> service = only("Service");
        Map<String, Object> podLabels = map(only("DaemonSet"), "spec", "template", "metadata", "labels");
        map(service, "spec", "selector").forEach((k, v) -> assertEquals(v, podLabels.get(k), "selector " + k));
        List<Object> portNames = list(container(), "ports").stream().map(p -> p.get("name")).toList();
        for (Map<String, Object> port : list(map(service, "spec"), "ports")) {
            assertTrue(portNames.contains(port.get("targetPort")), () -> "targetPort " + port + " names no container port");
        }
    }

    private static InetSocketAddress adminAddress(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return InetSocketAddress.createUnresolved(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }
}
