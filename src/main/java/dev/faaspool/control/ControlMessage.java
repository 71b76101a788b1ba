package dev.faaspool.control;

/**
 * A line the init sends on the control connection (runtime-init/PROTOCOL.md), or the end of the
 * connection.
 */
public sealed interface ControlMessage {

    /** The protocol version this pool speaks. */
    int VERSION = 2;

    /**
     * {@code HELLO <version> <pid> [<concurrency> [trace]]}: the init is connected and waits for a descriptor;
     * it serves up to {@code concurrency} connections at once (1 when it does not say), and takes each
     * request's trace context with its descriptor when it says {@code trace} (PROTOCOL.md, Trace context).
     */
    record Hello(int version, long pid, int concurrency, boolean trace) implements ControlMessage {
        public Hello(int version, long pid, int concurrency) {
            this(version, pid, concurrency, false);
        }
    }

    /** {@code ACK}: the init owns the descriptor it was sent. */
    record Ack() implements ControlMessage {}

    /** {@code RUN <pid>}: fork and persistent modes, the handler runs. */
    record Run(long pid) implements ControlMessage {}

    /**
     * {@code DONE <status> <request>}: fork and persistent modes, request number {@code request} (in the
     * order of the hand-offs on this connection, from 1) ended with {@code status}.
     */
    record Done(int status, long request) implements ControlMessage {}

    /** {@code FAIL <stage> <errno> <text>}: the init gave up on a request, or is about to exit. */
    record Fail(String stage, int errno, String text) implements ControlMessage {
        public boolean isExec() {
            return "exec".equals(stage);
        }
    }

    /** The init closed its end: after {@code ACK}, the handler was exec'd. */
    record Eof() implements ControlMessage {}

    /**
     * Parses one line, without its newline. Trailing fields that this version does not define are
     * ignored: later versions may add them (PROTOCOL.md, Versioning).
     *
     * @throws ProtocolException for a line this version does not define
     */
    static ControlMessage parse(String line) throws ProtocolException {
        String[] f = line.split(" ", 4);
        try {
            switch (f[0]) {
                case "HELLO":
                    if (f.length >= 3) {
                        String[] rest = f.length == 4 ? f[3].split(" ") : new String[0];
                        int concurrency = rest.length > 0 ? Integer.parseInt(rest[0]) : 1;
                        boolean trace = false;
                        for (int i = 1; i < rest.length; i++) {
                            trace |= rest[i].equals("trace");
                        }
                        if (concurrency >= 1) {
                            return new Hello(Integer.parseInt(f[1]), Long.parseLong(f[2]), concurrency, trace);
                        }
                    }
                    break;
                case "ACK":
                    return new Ack();
                case "RUN":
                    if (f.length >= 2) {
                        return new Run(Long.parseLong(f[1]));
                    }
                    break;
                case "DONE":
                    if (f.length >= 3) {
                        long request = Long.parseLong(f[2]);
                        if (request >= 1) {
                            return new Done(Integer.parseInt(f[1]), request);
                        }
                    }
                    break;
                case "FAIL":
                    if (f.length >= 3) {
                        return new Fail(f[1], Integer.parseInt(f[2]), f.length == 4 ? f[3] : "");
                    }
                    break;
                default:
                    break;
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw new ProtocolException("unexpected control message '" + line + "'");
    }
}
