package dev.faaspool.cli;

import dev.faaspool.config.ConfigException;
import dev.faaspool.config.ConfigLoader;
import dev.faaspool.config.PoolConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies edits of the configuration file or directory while faas-pool runs. It looks every second
 * for a change in the YAML files' names, sizes and modification times, waits for the change to
 * settle (an editor writes in steps), then loads and validates the whole configuration: a valid one
 * is applied ({@link Service#apply}); an invalid one is rejected with its file, line and reason, and
 * the running configuration stays.
 */
final class ConfigWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);
    private static final long PERIOD_MS = 1000;

    private final Path path;
    private final Service service;
    private final UnaryOperator<PoolConfig> overrides;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "config-watcher");
        t.setDaemon(true);
        return t;
    });
    private List<String> seen;
    private List<String> pending;

    /**
     * @param loaded    the configuration's {@link #fingerprint} taken before it was loaded, so that an edit
     *                  made while faas-pool started is not missed
     * @param overrides what the command line changes in every loaded configuration ({@code --pool-size})
     */
    ConfigWatcher(Path path, List<String> loaded, Service service, UnaryOperator<PoolConfig> overrides) {
        this.path = path;
        this.service = service;
        this.overrides = overrides;
        this.seen = loaded;
        timer.scheduleWithFixedDelay(this::check, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    private void check() {
        List<String> now = fingerprint(path);
        if (now.equals(seen)) {
            pending = null;
            return;
        }
        if (!now.equals(pending)) {
            pending = now; // changed since the last look: wait for it to settle
            return;
        }
        seen = now;
        pending = null;
        try {
            PoolConfig next = overrides.apply(new ConfigLoader().load(path));
            service.apply(next);
            log.info("applied the edited configuration: {} function(s)", next.functions().size());
        } catch (ConfigException e) {
            log.error("the edited configuration was rejected, still serving the previous one: {}", e.getMessage());
        } catch (IOException | RuntimeException e) {
            log.error("the edited configuration could not be applied, still serving the previous one: {}",
                    e.getMessage());
        }
    }

    /** Name, size and modification time of every YAML file of the configuration at {@code path}, sorted. */
    static List<String> fingerprint(Path path) {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.isDirectory(path) ? Files.list(path) : Stream.of(path)) {
            for (Path f : files.sorted().toList()) {
                String n = f.getFileName().toString();
                if (Files.isRegularFile(f) && (n.endsWith(".yaml") || n.endsWith(".yml"))) {
                    out.add(n + " " + Files.size(f) + " " + Files.getLastModifiedTime(f).toMillis());
                }
            }
        } catch (IOException e) {
            out.add("unreadable: " + e.getMessage());
        }
        return out;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
