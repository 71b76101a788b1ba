package dev.faaspool.sdk;

import java.net.Socket;

/**
 * A function's handler in persistent mode: called by {@link Faas#serve(Handler)} once per client
 * connection, on several threads at once when the SDK serves several connections at once
 * ({@code $FAAS_CONCURRENCY} above 1): state the calls share needs locking.
 */
@FunctionalInterface
public interface Handler {
    /**
     * Handles one client connection.
     *
     * @param socket the client's TCP connection, blocking; the SDK closes it after this returns or throws
     * @throws Exception to fail this request: the SDK logs one line and reports {@code DONE 1}
     */
    void handle(Socket socket) throws Exception;
}
