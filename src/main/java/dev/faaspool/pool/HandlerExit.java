package dev.faaspool.pool;

import dev.faaspool.runtime.ContainerExit;

/**
 * How the handler of one request ended, as far as the pool can tell: from {@code DONE <status>} (fork,
 * persistent), from its container's exit (oneshot, or a container that died while serving), or from
 * the pool's own action (the request timeout).
 *
 * @param cause  what ended it
 * @param status the handler's exit status as a shell reports it (128+n for signal n), -1 when unknown
 * @param detail one line for the log: the container's diagnosis, or empty
 */
public record HandlerExit(Cause cause, long status, String detail) {

    /** What ended a request's handler; also the {@code cause} label of {@code faas_handler_exits_total}. */
    public enum Cause {
        /** It exited with status 0 (or the SDK's handler returned). */
        OK,
        /** It exited with another status (or the SDK's handler failed). */
        ERROR,
        /** A signal killed it (SIGKILL from outside, SIGSEGV, abort). */
        SIGNAL,
        /** The kernel's OOM killer ended its container. */
        OOM,
        /** It ran past the function's request timeout; the pool removed its container. */
        TIMEOUT,
        /** Its container or control connection went away without a status. */
        LOST;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public HandlerExit {
        java.util.Objects.requireNonNull(cause, "cause");
        detail = detail == null ? "" : detail;
    }

    /** From an exit status: 0 is OK, 128+n a signal, anything else an error; negative is unknown. */
    public static HandlerExit ofStatus(long status) {
        Cause c = status < 0 ? Cause.LOST : status == 0 ? Cause.OK : status > 128 && status < 128 + 65 ? Cause.SIGNAL
                : Cause.ERROR;
        return new HandlerExit(c, status, "");
    }

    /** From the container's own exit: the OOM flag first (its status is then SIGKILL's), else the status. */
    public static HandlerExit ofContainer(ContainerExit exit) {
        if (exit.oomKilled()) {
            return new HandlerExit(Cause.OOM, exit.exitCode(), exit.describe());
        }
        HandlerExit e = ofStatus(exit.exitCode());
        return new HandlerExit(e.cause(), e.status(), exit.describe());
    }

    public static HandlerExit timeout(long requestTimeoutMillis) {
        return new HandlerExit(Cause.TIMEOUT, -1, "ran past the " + requestTimeoutMillis + " ms request timeout");
    }

    public static HandlerExit lost(String why) {
        return new HandlerExit(Cause.LOST, -1, why);
    }

    public boolean ok() {
        return cause == Cause.OK;
    }

    /** For a log line: "exited with status 3", "killed by signal 9", "out of memory", ... */
    public String describe() {
        String what = switch (cause) {
            case OK -> "exited with status 0";
            case ERROR -> "exited with status " + status;
            case SIGNAL -> "was killed by signal " + (status - 128);
            case OOM -> "was killed for memory (OOM)";
            case TIMEOUT -> "was stopped";
            case LOST -> "was lost";
        };
        return detail.isEmpty() ? what : what + ": " + detail;
    }
}
