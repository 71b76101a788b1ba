package dev.faaspool.runtime;

import java.util.List;

/**
 * Why a container stopped, as far as the runtime knows.
 *
 * @param exitCode  the main process's exit status; 128+n for a signal, -1 when unknown
 * @param oomKilled whether the kernel's OOM killer ended it
 * @param lastLogs  its last lines of output, oldest first
 */
public record ContainerExit(long exitCode, boolean oomKilled, List<String> lastLogs) {
    public ContainerExit {
        lastLogs = List.copyOf(lastLogs);
    }

    /** One line for a log: exit code, OOM flag and the last output lines. */
    public String describe() {
        StringBuilder sb = new StringBuilder("exit code ").append(exitCode);
        if (oomKilled) {
            sb.append(" (OOM-killed)");
        }
        if (!lastLogs.isEmpty()) {
            sb.append("; last output: ").append(String.join(" | ", lastLogs));
        }
        return sb.toString();
    }
}
