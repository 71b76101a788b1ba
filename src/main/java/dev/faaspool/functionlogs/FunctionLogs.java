package dev.faaspool.functionlogs;

import dev.faaspool.runtime.ContainerOutput;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The functions' logs: every line their containers write, to {@code <dir>/<function>.log} (rotated by
 * size, {@link RotatingFile}) and, with {@code echo}, to faas-pool's own output as
 * {@code <function>/<slot>: <text>}.
 *
 * <h2>Design</h2>
 * Each container's stream thread (the runtime's) assembles its lines ({@link LineAssembler}) and hands
 * them to its function's queue without waiting: the queue holds at most {@link #QUEUE_BYTES}, and a line
 * that does not fit is dropped and counted ({@link #dropped}), with a line in the file saying how many
 * were lost. One writer thread drains the queues in turn, a batch from each, so a function that floods
 * its output fills (and loses) only its own queue: it cannot delay another function's lines, the
 * stream threads of other containers, or anything of the pool's. Nothing here runs on the request path.
 */
public final class FunctionLogs implements ContainerOutput, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FunctionLogs.class);
    /** A function's lines waiting for the writer, at most: a few seconds of a fast disk's worth of floods. */
    static final long QUEUE_BYTES = 4L * 1024 * 1024;
    /** Lines written from one function before the writer turns to the next. */
    private static final int BATCH = 256;
    public static final long FILE_BYTES = 10L * 1024 * 1024;
    public static final int FILES = 5;

    private final Path dir;
    private final PrintStream echo;
    private final Clock clock;
    private final long fileBytes;
    private final int files;
    private final Map<String, FunctionLog> functions = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread writer;

    /**
     * @param dir  where the files go (created when the first line comes)
     * @param echo where lines are also printed, or null
     */
    public FunctionLogs(Path dir, PrintStream echo, Clock clock) {
        this(dir, echo, clock, FILE_BYTES, FILES);
    }

    FunctionLogs(Path dir, PrintStream echo, Clock clock, long fileBytes, int files) {
        this.dir = dir;
        this.echo = echo;
        this.clock = clock;
        this.fileBytes = fileBytes;
        this.files = files;
        this.writer = new Thread(this::drain, "function-logs");
        writer.setDaemon(true);
        writer.start();
    }

    /** Where function {@code name}'s current log file is. */
    public Path file(String name) {
        return dir.resolve(name + ".log");
    }

    @Override
    public Receiver open(String function, String slot, String containerId) {
        FunctionLog f = functions.computeIfAbsent(function, FunctionLog::new);
        String source = slot + "/" + (containerId.length() > 12 ? containerId.substring(0, 12) : containerId);
        String prefix = function + "/" + slot + ": ";
        return new LineAssembler((time, stream, text) -> f.offer(LogLines.format(time, source, stream, text),
                echo == null ? null : prefix + text), clock);
    }

    /** Lines of {@code function} lost because its queue was full. */
    public long dropped(String function) {
        FunctionLog f = functions.get(function);
        return f == null ? 0 : f.dropped.sum();
    }

    /** Adds {@code faas_function_log_lines_dropped_total{function}} to {@code registry}. */
    public void register(PrometheusRegistry registry) {
        CounterWithCallback.builder().name("faas_function_log_lines_dropped_total")
                .help("Lines a function's handlers wrote that were not stored: they came faster than they could be")
                .labelNames("function")
                .callback(cb -> functions.forEach((name, f) -> cb.call(f.dropped.sum(), name)))
                .register(registry);
    }

    /** The writer thread: drains every function's queue in turn, flushing when there is nothing left. */
    private void drain() {
        while (true) {
            boolean any = false;
            try {
                for (FunctionLog f : functions.values()) {
                    any |= f.writeBatch();
                }
            } catch (RuntimeException | Error e) {
                // Nothing on a thread may die silently; a line that cannot be written is not worth the others.
                log.warn("function logs: writing failed: {}", e.toString());
            }
            if (!any) {
                for (FunctionLog f : functions.values()) {
                    f.flush();
                }
                if (closed.get()) {
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    /** Writes what is queued and closes the files; lines that come later are dropped. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            LockSupport.unpark(writer);
            try {
                writer.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (FunctionLog f : functions.values()) {
                f.close();
            }
        }
    }

    /** One function's queue and file. */
    private final class FunctionLog {
        private final String name;
        private final Queue<String[]> queue = new ConcurrentLinkedQueue<>();
        private final AtomicLong queuedBytes = new AtomicLong();
        private final LongAdder dropped = new LongAdder();
        /** Drops not yet noted in the file; the writer's. */
        private long droppedNoted;
        private final RotatingFile file;
        private boolean failed;
        private boolean created;

        FunctionLog(String name) {
            this.name = name;
            this.file = new RotatingFile(dir, name, fileBytes, files);
        }

        /** Any stream thread: queues the stored line (and the echoed one), or drops it when the queue is full. */
        void offer(String stored, String echoed) {
            long size = 2L * stored.length() + (echoed == null ? 0 : 2L * echoed.length());
            if (closed.get() || queuedBytes.addAndGet(size) > QUEUE_BYTES) {
                if (!closed.get()) {
                    queuedBytes.addAndGet(-size);
                }
                dropped.increment();
                return;
            }
            boolean wasEmpty = queue.isEmpty();
            queue.add(new String[] {stored, echoed});
            if (wasEmpty) {
                LockSupport.unpark(writer);
            }
        }

        /** Writer: up to a batch of lines; whether there were any. */
        boolean writeBatch() {
            if (!created) {
                created = true;
                try {
                    file.create(); // `faas-pool logs` tells a function that ran and wrote nothing from an unknown one
                } catch (IOException e) {
                    failed = true;
                    log.warn("cannot create the log of function {} at {}: {}", name, file(name), e.toString());
                }
            }
            long lost = dropped.sum() - droppedNoted;
            if (lost > 0) {
                droppedNoted += lost;
                write(LogLines.format(LineAssembler.TIME.format(clock.instant()), "faas-pool", "meta",
                        "dropped " + lost + " line(s) of " + name + ": it wrote faster than they could be stored"), null);
            }
            int n = 0;
            String[] line;
            while (n < BATCH && (line = queue.poll()) != null) {
                queuedBytes.addAndGet(-(2L * line[0].length() + (line[1] == null ? 0 : 2L * line[1].length())));
                write(line[0], line[1]);
                n++;
            }
            return n > 0 || lost > 0;
        }

        private void write(String stored, String echoed) {
            if (echoed != null) {
                echo.println(echoed);
            }
            try {
                file.append(stored);
                failed = false;
            } catch (IOException e) {
                if (!failed) { // once per failure, not once per line
                    log.warn("cannot write the log of function {} to {}: {}", name, file(name), e.toString());
                    failed = true;
                }
            }
        }

        void flush() {
            try {
                file.flush();
            } catch (IOException e) {
                log.debug("flush of {}'s log failed: {}", name, e.toString());
            }
            if (echo != null) {
                echo.flush();
            }
        }

        void close() {
            try {
                file.close();
            } catch (IOException e) {
                log.warn("cannot close the log of function {}: {}", name, e.toString());
            }
        }
    }
}
