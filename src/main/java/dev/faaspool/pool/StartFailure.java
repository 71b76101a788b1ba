package dev.faaspool.pool;

import dev.faaspool.runtime.ContainerExit;
import java.util.List;

/**
 * Why a function's last container start did not end warm, for the operator: what went wrong, the
 * container's exit code and its last line of output when there was a container to ask.
 *
 * <p>The output line and Docker's message come from outside (a handler writes what it likes): {@link #summary}
 * shows them with control characters, escape sequences and bidirectional overrides replaced by {@code ?},
 * and bounded, so that printing it on an operator's terminal can neither move the cursor nor hide text.
 *
 * @param reason     what the launcher saw, e.g. "its container exited before the init said hello"
 * @param exitCode   the container's exit status; -1 when unknown or there was no container
 * @param oomKilled  whether the kernel's OOM killer ended it
 * @param lastOutput the container's last non-blank line of output, as it wrote it; empty when none
 * @param atNanos    ticker time of the failure
 */
public record StartFailure(String reason, long exitCode, boolean oomKilled, String lastOutput, long atNanos) {
    /** Longest text shown from the reason or the output, in characters. */
    static final int MAX_SHOWN = 160;

    public StartFailure {
        lastOutput = lastOutput == null ? "" : lastOutput;
    }

    static StartFailure of(LaunchException e, long nowNanos) {
        ContainerExit exit = e.exit();
        if (exit == null) {
            return new StartFailure(e.getMessage(), -1, false, "", nowNanos);
        }
        List<String> lines = exit.lastLogs();
        String last = "";
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (!lines.get(i).isBlank()) {
                last = lines.get(i).strip();
                break;
            }
        }
        return new StartFailure(e.getMessage(), exit.exitCode(), exit.oomKilled(), last, nowNanos);
    }

    /**
     * One line for a terminal or a log, e.g.
     * {@code its container exited before the init said hello: exit 127, "exec /app/handler: not found"}.
     */
    public String summary() {
        StringBuilder sb = new StringBuilder(printable(reason, MAX_SHOWN));
        String sep = ": ";
        if (exitCode >= 0) {
            sb.append(sep).append("exit ").append(exitCode);
            sep = ", ";
        }
        if (oomKilled) {
            sb.append(sep).append("OOM-killed");
            sep = ", ";
        }
        if (!lastOutput.isEmpty()) {
            sb.append(sep).append('"').append(printable(lastOutput, MAX_SHOWN)).append('"');
        }
        return sb.toString();
    }

    /**
     * What makes two failures the same for the operator: the reason and how the container ended, not its
     * output (which may carry a PID or a time and would make every failure new).
     */
    public String kind() {
        return reason + "|" + exitCode + "|" + oomKilled;
    }

    /** {@code text} safe to print: no control, format or bidi characters, at most {@code max} characters. */
    static String printable(String text, int max) {
        StringBuilder sb = new StringBuilder(Math.min(text.length(), max + 1));
        int shown = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (shown == max) {
                sb.append('…');
                break;
            }
            int type = Character.getType(cp);
            boolean unsafe = Character.isISOControl(cp) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.PRIVATE_USE
                    || type == Character.SURROGATE || type == Character.UNASSIGNED;
            if (unsafe) {
                sb.append('?');
            } else {
                sb.appendCodePoint(cp);
            }
            shown++;
        }
        return sb.toString();
    }
}
