package dev.faaspool.log;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * An output stream whose every line becomes an event of a logger: what a part that prints for
 * people writes, as log events. A carriage return ends a line too (a terminal status line redrawn in
 * place), terminal escape sequences are removed, and empty lines are dropped. A line is at most
 * {@value #MAX_LINE} bytes; longer ones are split.
 */
final class LogLineStream extends OutputStream {
    static final int MAX_LINE = 16 * 1024;
    private final Logger logger;
    private final Level level;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);

    /** Each line an event of {@code level}. */
    LogLineStream(Logger logger, Level level) {
        this.logger = logger;
        this.level = level;
    }

    @Override
    public synchronized void write(int b) {
        if (b == '\n' || b == '\r') {
            emit();
            return;
        }
        line.write(b);
        if (line.size() >= MAX_LINE) {
            emit();
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            write(b[i]);
        }
    }

    @Override
    public synchronized void flush() {
        // A line is written when it ends: a partial line waits for its end (PrintStream flushes after each print).
    }

    @Override
    public synchronized void close() {
        emit();
    }

    private void emit() {
        String s = line.toString(StandardCharsets.UTF_8).replaceAll("\u001B\\[[0-9;]*[A-Za-z]", "").strip();
        line.reset();
        if (!s.isEmpty()) {
            logger.atLevel(level).log(s);
        }
    }
}
