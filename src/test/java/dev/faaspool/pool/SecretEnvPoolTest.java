package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.runtime.ContainerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the pool makes of a function's env-file and network: the container gets them, no printout shows a value. */
class SecretEnvPoolTest {
    private static final String SECRET = "pool-s3cr3t-7Hk2";

    @TempDir
    Path tmp;

    @Test
    void theEnvFileReachesTheContainerAndNoPrintedSpecOrSnapshot() throws Exception {
        // PoolHarness writes the YAML into tmp: the env-file resolves beside it.
        Files.writeString(tmp.resolve("api.env"), "API_TOKEN=" + SECRET + "\n");
        String yaml = """
                functions:
                  api:
                    image: img
                    listen: 127.0.0.1:9001
                    mode: fork
                    network: bridge
                    env: { MODE: prod }
                    env-file: api.env
                    pool: { min: 1, max: 1, scaling: fixed }
                """;
        try (PoolHarness h = new PoolHarness(tmp, yaml)) {
            FunctionPool fp = h.fn("api");
            h.await("warm", () -> fp.count(SlotState.WARM) == 1);
            ContainerSpec c = h.runtime.spec(h.runtime.running().getFirst());
            assertEquals(SECRET, c.env().get("API_TOKEN"), "the handler's environment has it");
            assertEquals("prod", c.env().get("MODE"));
            assertEquals("bridge", c.network());
            for (String printed : new String[] {c.toString(), fp.spec().toString(), fp.snapshot().toString()}) {
                assertFalse(printed.contains("s3cr3t"), printed);
            }
            assertTrue(c.toString().contains("API_TOKEN"), c.toString());
        }
    }
}
