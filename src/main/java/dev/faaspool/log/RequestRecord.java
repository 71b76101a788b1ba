package dev.faaspool.log;

import java.time.Instant;

/**
 * One line of the request log: what became of one client connection.
 *
 * <p>Every text field is a plain token (letters, digits and {@code . : _ - [ ]}), so that a text
 * line stays one {@code key=value} per field without quoting: function names are validated by the
 * configuration, slot ids and addresses are made by faas-pool. A router that could not match a request
 * to a function passes null, never what the client sent.
 *
 * @param time          when the outcome was known (wall clock)
 * @param function      the function it was for, or null when it named none (a router's 404 or 400)
 * @param client        the client's address, {@code ip:port} ({@code [ip6]:port}), or null when unknown
 * @param slot          the slot (container) it was last handed to, or null when none
 * @param start         whether an init took it on a slot warm when it came or one it waited for; null when
 *                      no init acknowledged it
 * @param dispatchNanos from its accept until an init owned its descriptor (the ACK), or {@link #NONE}
 * @param serviceNanos  from its accept until its outcome
 * @param outcome       how it ended
 */
public record RequestRecord(Instant time, String function, String client, String slot, Start start,
        long dispatchNanos, long serviceNanos, Outcome outcome) {
    /** No such duration: the request never got that far. */
    public static final long NONE = -1;

    /** Which kind of slot took the request. */
    public enum Start {
        /** A slot that was warm when the request came. */
        WARM,
        /** A slot the request had to wait for. */
        COLD;

        public String word() {
            return this == WARM ? "warm" : "cold";
        }
    }

    public RequestRecord {
        if (time == null || outcome == null) {
            throw new IllegalArgumentException("a request record needs a time and an outcome");
        }
        token("function", function);
        token("client", client);
        token("slot", slot);
        if (dispatchNanos < NONE || serviceNanos < 0) {
            throw new IllegalArgumentException("durations are >= 0 (dispatch " + dispatchNanos + ", service "
                    + serviceNanos + ")");
        }
    }

    /**
     * A request faas-pool answered itself without handing it to any slot: a router's 404 or 400
     * ({@code function} null), or a dispatcher's answer before a slot.
     */
    public static RequestRecord answered(Instant time, String function, String client, long serviceNanos,
            Outcome outcome) {
        return new RequestRecord(time, function, client, null, null, NONE, serviceNanos, outcome);
    }

    private static void token(String field, String value) {
        if (value == null) {
            return;
        }
        if (value.isEmpty() || value.length() > 128) {
            throw new IllegalArgumentException(field + " must be 1..128 characters (was " + value.length() + ")");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == ':' || c == '_' || c == '-' || c == '[' || c == ']';
            if (!ok) {
                throw new IllegalArgumentException(field + " must be a plain token, letters, digits and . : _ - [ ]"
                        + " (was '" + value + "')");
            }
        }
    }
}
