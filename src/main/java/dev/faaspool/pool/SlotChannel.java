package dev.faaspool.pool;

/** A slot's control connection as its dispatcher holds it, on an event loop. */
public interface SlotChannel {
    /** Closes the connection: its init sees EOF. From any thread; idempotent. */
    void close();
}
