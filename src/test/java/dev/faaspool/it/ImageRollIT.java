package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rebuilding a function's image under the same tag while it serves: every warm container is replaced by
 * one of the new image ID, /status shows the new ID, and no request fails meanwhile.
 */
class ImageRollIT {
    @TempDir
    Path work;
    private PoolProcess pool;
    private final String tag = "it-reload-" + UUID.randomUUID().toString().substring(0, 8) + ":latest";
    private final List<String> imageIds = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        if (pool != null) {
            pool.close();
            Docker.removeAll(pool.instance);
        }
        List<String> rmi = new ArrayList<>(List.of("rmi", "-f", tag));
        rmi.addAll(imageIds);
        try {
            Docker.run(rmi.toArray(String[]::new));
        } catch (IOException e) {
            System.err.println("clean-up of the test images failed: " + e);
        }
    }

    /** Builds {@link #tag} from faas-hello with a label that makes its ID new; returns the ID. */
    private String build(String revision) throws IOException, InterruptedException {
        Path context = Files.createDirectories(work.resolve("image-" + revision));
        Files.writeString(context.resolve("Dockerfile"), "FROM faas-hello:latest\nLABEL dev.faaspool.test.revision="
                + revision + "\n");
        Process p = new ProcessBuilder("docker", "build", "-q", "-t", tag, context.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "docker build: " + out);
        String id = Docker.run("image", "inspect", "-f", "{{.Id}}", tag).get(0).trim();
        imageIds.add(id);
        return id;
    }

    /** The image ID of each running container of the function. */
    private List<String> containerImages() throws IOException, InterruptedException {
        List<String> ids = Docker.runningOf(pool.instance);
        if (ids.isEmpty()) {
            return List.of();
        }
        List<String> args = new ArrayList<>(List.of("inspect", "-f", "{{.Image}}"));
        args.addAll(ids);
        try {
            return Docker.run(args.toArray(String[]::new));
        } catch (IOException e) {
            return List.of("(one went away while inspected)"); // a retiring one: look again
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"fork", "oneshot"})
    void aRebuiltImageRollsEveryWarmContainerWithoutAFailedRequest(String mode) throws Exception {
        String first = build(UUID.randomUUID().toString());
        Path config = work.resolve("pool.yaml");
        int port = PoolProcess.freePort();
        Files.writeString(config, """
                functions:
                  rolled:
                    image: %s
                    listen: 127.0.0.1:%d
                    mode: %s
                    pool: { min: 3, max: 6, scaling: fixed }
                """.formatted(tag, port, mode));
        pool = PoolProcess.start(work, "imageroll", "--config", config.toString());
        pool.awaitStdout(Pattern.compile("rolled: 3/3 warm"), Duration.ofSeconds(60));
        JsonNode before = pool.function("rolled");
        assertEquals(tag, before.get("image").asText());
        assertEquals(first, before.get("imageId").asText());
        assertEquals(List.of(first, first, first), containerImages());

        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        List<String> outcomes = new CopyOnWriteArrayList<>();
        AtomicBoolean loading = new AtomicBoolean(true);
        Thread load = new Thread(() -> {
            while (loading.get()) {
                try {
                    outcomes.add(Integer.toString(HttpProbe.get(address, "/", 30_000).status()));
                } catch (IOException e) {
                    outcomes.add("no answer: " + e);
                }
            }
        });
        load.start();
        String second;
        long rolledMillis;
        try {
            Thread.sleep(500);
            second = build(UUID.randomUUID().toString());
            assertNotEquals(first, second);
            long built = System.nanoTime();
            long deadline = built + Duration.ofSeconds(30).toNanos();
            List<String> images = containerImages();
            while (!(images.size() >= 3 && images.stream().allMatch(second::equals))) {
                assertTrue(System.nanoTime() < deadline, "every container is of the new image within 30 s: " + images);
                Thread.sleep(100);
                images = containerImages();
            }
            rolledMillis = (System.nanoTime() - built) / 1_000_000;
            pool.awaitFunction("rolled", f -> second.equals(f.get("imageId").asText()), Duration.ofSeconds(30));
            Thread.sleep(500); // requests go on to the new containers
        } finally {
            loading.set(false);
            load.join(60_000);
        }
        Map<String, Integer> counts = new TreeMap<>();
        outcomes.forEach(o -> counts.merge(o, 1, Integer::sum));
        System.out.println(mode + ": rolled 3 containers to the new image in " + rolledMillis + " ms after the build; requests: "
                + counts);
        assertTrue(outcomes.size() > 10 && outcomes.stream().allMatch("200"::equals),
                "every request, throughout the roll, was served: " + counts);
        pool.awaitLog(Pattern.compile("rolled: image " + Pattern.quote(tag) + " now is " + Pattern.quote(second)),
                Duration.ofSeconds(5));
        assertEquals(0, pool.stop(Duration.ofSeconds(60)));
        assertEquals(List.of(), Docker.containersOf(pool.instance));
    }
}
