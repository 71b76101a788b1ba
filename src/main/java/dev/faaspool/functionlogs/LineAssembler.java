package dev.faaspool.functionlogs;

import dev.faaspool.runtime.ContainerOutput;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Turns the frames of one container's log stream into whole, safe lines ({@link LogLines}).
 *
 * <p>Docker sends each message the container wrote as one frame, prefixed with its time (the stream is
 * read with timestamps), and splits a line longer than 16 KiB into several messages, only the last of
 * which ends with a newline. So a line is complete at a newline, or when the stream ends; the pieces of
 * stdout and of stderr are assembled separately, since they may interleave. Each line keeps at most
 * {@link LogLines#MAX_LINE_BYTES} bytes (memory per container is bounded whatever the handler writes) and
 * the time of its first piece.
 *
 * <p>One instance per container stream, fed by that stream's one thread: not thread-safe.
 */
public final class LineAssembler implements ContainerOutput.Receiver {
    /** Fixed width, so that stored lines sort by time as text too. */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** Where complete lines go. */
    @FunctionalInterface
    public interface Lines {
        void line(String time, String stream, String text);
    }

    private final Lines lines;
    private final Clock clock;
    private final Pending out = new Pending("out");
    private final Pending err = new Pending("err");

    /** @param clock the time of a frame that carries none (Docker's frames do) */
    public LineAssembler(Lines lines, Clock clock) {
        this.lines = lines;
        this.clock = clock;
    }

    @Override
    public void frame(boolean stderr, byte[] payload) {
        take(stderr, payload, false);
    }

    @Override
    public void again(boolean stderr, byte[] payload) {
        take(stderr, payload, true);
    }

    private void take(boolean stderr, byte[] payload, boolean again) {
        Pending p = stderr ? err : out;
        int start = 0;
        String time = null;
        int sp = indexOf(payload, (byte) ' ', 0, Math.min(payload.length, 48));
        if (sp > 0) {
            time = parseTime(new String(payload, 0, sp, StandardCharsets.US_ASCII));
            if (time != null) {
                start = sp + 1;
            }
        }
        if (time == null) {
            time = TIME.format(clock.instant());
        } else if (p.resent(time, payload.length > 0 && payload[payload.length - 1] == '\n', again)) {
            return;
        }
        while (start < payload.length) {
            int nl = indexOf(payload, (byte) '\n', start, payload.length);
            int end = nl < 0 ? payload.length : nl;
            p.append(time, payload, start, end - start);
            if (nl < 0) {
                break;
            }
            p.emit();
            start = nl + 1;
        }
    }

    /** The stream ended: what is pending is a line too (a handler whose last line has no newline). */
    @Override
    public void end() {
        out.flush();
        err.flush();
    }

    private static String parseTime(String text) {
        try {
            Instant t = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
            return TIME.format(t);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static int indexOf(byte[] b, byte what, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == what) {
                return i;
            }
        }
        return -1;
    }

    /** The line of one stream being assembled. */
    private final class Pending {
        private final String stream;
        private final byte[] buf = new byte[LogLines.MAX_LINE_BYTES];
        private int length;
        private long dropped;
        private String time;
        /** The engine's time of the last frame taken, and whether that frame ended a line. */
        private String lastTime;
        private boolean lastEnded;

        Pending(String stream) {
            this.stream = stream;
        }

        /**
         * Whether a frame of the engine's {@code time} is one it sent already. The engine's times rise within a
         * stream (the pieces of one long line share the first one's), but its follow of a container's log file
         * across that file's rotation (after 2 MiB, DockerRuntime) can send a stretch again: an earlier time, or
         * the time of a line that ended already, is such a repeat. Read {@code again} after the stream's end,
         * a message of the last time taken is a repeat whether or not it ended its line.
         */
        boolean resent(String time, boolean ends, boolean again) {
            int c = lastTime == null ? 1 : time.compareTo(lastTime); // fixed width: text order is time order
            if (c < 0 || (c == 0 && (lastEnded || again))) {
                return true;
            }
            lastTime = time;
            lastEnded = ends;
            return false;
        }

        void append(String frameTime, byte[] b, int off, int len) {
            if (time == null) {
                time = frameTime;
            }
            int keep = Math.min(len, buf.length - length);
            System.arraycopy(b, off, buf, length, keep);
            length += keep;
            dropped += len - keep;
        }

        void emit() {
            String t = time != null ? time : TIME.format(clock.instant());
            lines.line(t, stream, LogLines.escape(buf, length, dropped));
            length = 0;
            dropped = 0;
            time = null;
        }

        void flush() {
            if (time != null) {
                emit();
            }
        }
    }
}
