package dev.faaspool.log;

/**
 * How a request ended, as the request log writes it ({@code outcome=}) with the HTTP status faas-pool
 * answered ({@code status=}), or none when faas-pool wrote nothing.
 */
public enum Outcome {
    /** A handler had the connection and ended it: whatever it answered is its own (faas-pool never reads it). */
    SERVED("served", 0),
    /** 503 at once: the function had as many connections, or waiting requests, as it admits. */
    OVERLOADED("overloaded", 503),
    /** 503: no container took it within {@code timeouts.acquire}, none would, or faas-pool was shutting down. */
    UNAVAILABLE("unavailable", 503),
    /**
     * 502: the handler could not start, a container consumed the request unacknowledged, or the handler
     * failed (exit status, signal, OOM, lost) before writing a byte.
     */
    BAD_GATEWAY("bad_gateway", 502),
    /** 504: the handler wrote nothing within {@code timeouts.request}. */
    TIMED_OUT("timed_out", 504),
    /** 408: the client sent nothing within {@code timeouts.first-byte}; no container was touched. */
    FIRST_BYTE_TIMEOUT("first_byte_timeout", 408),
    /** The client closed or reset the connection before its request reached a container; nothing was written. */
    DROPPED("dropped", 0),
    /** 404 from a front router: the request named no function faas-pool serves. */
    NOT_FOUND("not_found", 404),
    /** 400 from a front router: the request head was not HTTP, or too large. */
    BAD_REQUEST("bad_request", 400);

    private final String word;
    private final int status;

    Outcome(String word, int status) {
        this.word = word;
        this.status = status;
    }

    /** How the request log spells it. */
    public String word() {
        return word;
    }

    /** The HTTP status faas-pool wrote, or 0 when it wrote none. */
    public int status() {
        return status;
    }

    /** Whether faas-pool itself wrote an answer ({@link #status()} is one). */
    public boolean answered() {
        return status != 0;
    }
}
