package dev.faaspool.cli;

import dev.faaspool.config.ConfigException;
import dev.faaspool.config.ConfigLoader;
import dev.faaspool.config.PoolConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
 *
 * <p>{@link #reloadNow} (SIGHUP) does the same at once, whether or not the files look changed. Both run on
 * the watcher's one thread, so a reload and a poll never overlap, and whoever asks (a signal handler)
 * only posts the work.
 */
final class ConfigWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);
    private static final Duration PERIOD = Duration.ofSeconds(1);

    /** Where a loaded configuration goes: {@link Service#apply}. */
    @FunctionalInterface
    interface Target {
        /** Applies {@code next}, or throws naming what is wrong and changes nothing. */
        void apply(PoolConfig next) throws IOException;
    }

    private final Path path;
    private final Target service;
    private final UnaryOperator<PoolConfig> overrides;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "config-watcher");
        t.setDaemon(true);
        return t;
    });
    /** The reload asked for and not begun yet: more asks join it (a storm of SIGHUPs is one reload). */
    private final AtomicReference<CompletableFuture<String>> queued = new AtomicReference<>();
    // Confined to the timer's thread.
    private List<String> seen;
    private List<String> pending;

    /**
     * @param loaded    the configuration's {@link #fingerprint} taken before it was loaded, so that an edit
     *                  made while faas-pool started is not missed
     * @param overrides what the command line changes in every loaded configuration ({@code --pool-size})
     */
    ConfigWatcher(Path path, List<String> loaded, Target service, UnaryOperator<PoolConfig> overrides) {
        this(path, loaded, service, overrides, PERIOD);
    }

    /** @param period how often the files are looked at (tests: long, to see {@link #reloadNow} alone) */
    ConfigWatcher(Path path, List<String> loaded, Target service, UnaryOperator<PoolConfig> overrides,
            Duration period) {
        this.path = path;
        this.service = service;
        this.overrides = overrides;
        this.seen = loaded;
        timer.scheduleWithFixedDelay(this::check, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Loads, validates and applies the configuration now, on the watcher's thread (SIGHUP); returns at
     * once. The future completes with the line logged: what was applied, or why it was rejected. Asks made
     * while a reload waits to begin join it: it reads the files when it begins, so it sees their edits too.
     */
    CompletableFuture<String> reloadNow() {
        CompletableFuture<String> done = new CompletableFuture<>();
        CompletableFuture<String> waiting = queued.compareAndExchange(null, done);
        if (waiting != null) {
            return waiting;
        }
        try {
            timer.execute(() -> {
                queued.set(null); // begun: an ask from now on may carry an edit this load does not see
                try {
                    List<String> now = fingerprint(path); // before loading: an edit made meanwhile is seen later
                    String outcome = reload("the configuration on SIGHUP");
                    seen = now;
                    pending = null;
                    done.complete(outcome);
                } catch (RuntimeException | Error e) {
                    done.completeExceptionally(e);
                    throw e;
                }
            });
        } catch (RejectedExecutionException e) {
            queued.set(null);
            done.complete("faas-pool is stopping: nothing reloaded");
        }
        return done;
    }

    private void check() {
        try {
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
            reload("the edited configuration");
        } catch (RuntimeException e) {
            // A periodic task that throws is never run again: log it and look again next time.
            log.error("checking the configuration for edits failed: {}", e.toString());
        }
    }

    /** Loads and applies the configuration; returns the line it logged. */
    private String reload(String what) {
        try {
            PoolConfig next = overrides.apply(new ConfigLoader().load(path));
            service.apply(next);
            String done = "applied " + what + ": " + next.functions().size() + " function(s)";
            log.info(done);
            return done;
        } catch (ConfigException e) {
            String rejected = what + " was rejected, still serving the previous one: " + e.getMessage();
            log.error(rejected);
            return rejected;
        } catch (IOException | RuntimeException e) {
            String failed = what + " could not be applied, still serving the previous one: " + e.getMessage();
            log.error(failed);
            return failed;
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
