package dev.faaspool.it;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A pool-config of several functions, each on a free port of its own, for integration tests that
 * run faas-pool on more than one function: writes {@code <work>/pool.yaml}, starts faas-pool on it and
 * waits until every function has its minimum warm.
 */
final class Functions {
    private final Map<String, InetSocketAddress> address = new LinkedHashMap<>();

    /** Starts faas-pool on {@code name -> yaml} (each function's fields but {@code listen}). */
    PoolProcess start(Path work, String test, Map<String, String> functions) throws Exception {
        return start(work, test, functions, new String[0]);
    }

    /** As {@link #start(Path, String, Map)}, with more of faas-pool's options. */
    PoolProcess start(Path work, String test, Map<String, String> functions, String... options) throws Exception {
        StringBuilder yaml = new StringBuilder("functions:\n");
        for (Map.Entry<String, String> f : functions.entrySet()) {
            int port = PoolProcess.freePort();
            address.put(f.getKey(), new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            yaml.append("  ").append(f.getKey()).append(":\n    listen: 127.0.0.1:").append(port).append('\n')
                    .append(f.getValue().indent(4));
        }
        Path config = Files.writeString(work.resolve("pool.yaml"), yaml);
        List<String> args = new java.util.ArrayList<>(List.of("--config", config.toString()));
        args.addAll(List.of(options));
        PoolProcess p = PoolProcess.start(work, test, args.toArray(String[]::new));
        try {
            for (String fn : functions.keySet()) {
                p.awaitStdout(Pattern.compile(fn + ": \\d+/\\d+ warm"), Duration.ofSeconds(90));
            }
        } catch (AssertionError | InterruptedException e) {
            p.close();
            throw e;
        }
        return p;
    }

    /** Where {@code fn} listens. */
    InetSocketAddress address(String fn) {
        return address.get(fn);
    }
}
