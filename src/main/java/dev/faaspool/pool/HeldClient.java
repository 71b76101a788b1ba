package dev.faaspool.pool;

/**
 * This process's copy of a client connection that a handler serves. The pool keeps it until the
 * request ends, so that the handler's own close is never the last one (a handler that answers
 * without reading the request does not reset the connection), and so that a request whose handler
 * died before answering can still be answered.
 */
public interface HeldClient {

    /**
     * The request ended as {@code exit}. When the handler failed and the client has not been sent a
     * byte, answers it with an error; then closes this process's copy gracefully. Called once, never
     * on a dispatcher's thread; does not block for long.
     */
    void end(HandlerExit exit);
}
