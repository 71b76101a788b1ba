package dev.faaspool.it;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Integration tests that run faas-pool with one function named {@code fn}, declared in a pool-config
 * file of the test's own on a free port; the pools they start are stopped and cleaned up by
 * {@link #close()} (from an {@code @AfterEach}).
 */
final class OneFunction implements AutoCloseable {
    private final List<PoolProcess> pools = new ArrayList<>();
    private InetSocketAddress address;

    /**
     * Writes {@code <work>/pool.yaml} declaring {@code fn} with {@code functionYaml} and starts faas-pool on it,
     * with {@code args} after {@code --config}.
     */
    PoolProcess start(Path work, String test, String functionYaml, String... args) throws Exception {
        int port = PoolProcess.freePort();
        address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        Path config = Files.writeString(work.resolve("pool.yaml"), "functions:\n  fn:\n    listen: 127.0.0.1:" + port
                + "\n" + functionYaml.indent(4));
        List<String> all = new ArrayList<>(List.of("--config", config.toString()));
        all.addAll(List.of(args));
        PoolProcess p = PoolProcess.start(work, test, all.toArray(String[]::new));
        pools.add(p);
        return p;
    }

    /** Keeps {@code p} (started otherwise) for clean-up too. */
    PoolProcess track(PoolProcess p) {
        pools.add(p);
        return p;
    }

    /** Where {@code fn} of the last pool started listens. */
    InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() throws InterruptedException {
        for (PoolProcess p : pools) {
            p.close();
        }
    }
}
