package dev.faaspool.dispatch;

import dev.faaspool.metrics.RequestCounters;
import dev.faaspool.pool.HandlerExit;
import dev.faaspool.pool.HeldClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's copy of a connection a handler serves (see {@link HeldClient}). When the request
 * ends with the handler failed and the kernel says no byte was ever written to the connection
 * ({@link TcpInfo}), the client gets {@code 502 Bad Gateway} (the handler crashed, exited with an
 * error, ran out of memory, or ended without answering) or {@code 504 Gateway Timeout} (it ran past the
 * request timeout) instead of a bare close. Once a byte was written, a response has begun: only the
 * handler could finish it, and the connection is closed as it is.
 */
final class ServedClient implements HeldClient {
    private static final Logger log = LoggerFactory.getLogger(ServedClient.class);

    private final SocketChannel channel;
    private final String function;
    private final Duration requestTimeout;
    private final RequestCounters counters;

    ServedClient(SocketChannel channel, String function, Duration requestTimeout, RequestCounters counters) {
        this.channel = channel;
        this.function = function;
        this.requestTimeout = requestTimeout;
        this.counters = counters;
    }

    @Override
    public void end(HandlerExit exit) {
        try (channel) {
            if (!channel.isOpen()) {
                return;
            }
            HttpErrorResponse answer = answerFor(function, exit, requestTimeout, TcpInfo.anythingWritten(channel));
            if (answer != null) {
                (answer.status() == 504 ? counters.timedOut : counters.handlerFailed).increment();
                log.info("{}: answered {} for a handler that {}", function, answer.status(), exit.describe());
                answer.writeTo(channel);
            } else {
                drain(channel);
            }
        } catch (IOException e) {
            // The client is gone.
        }
    }

    /**
     * What faas-pool answers when a request's handler ended as {@code exit}: nothing when a byte was
     * {@code written} (a response began), else an error that says what happened. Pure.
     */
    static HttpErrorResponse answerFor(String function, HandlerExit exit, Duration requestTimeout, boolean written) {
        if (written) {
            return null;
        }
        String fn = "function '" + function + "'";
        return switch (exit.cause()) {
            case TIMEOUT -> HttpErrorResponse.gatewayTimeout(fn + " did not answer within its "
                    + requestTimeout.toMillis() + " ms request timeout");
            case OOM -> HttpErrorResponse.badGateway(fn + " ran out of memory before answering");
            case SIGNAL -> HttpErrorResponse.badGateway(fn + " was killed by signal " + (exit.status() - 128)
                    + " before answering");
            case ERROR -> HttpErrorResponse.badGateway(fn + " exited with status " + exit.status() + " before answering");
            case LOST -> HttpErrorResponse.badGateway(fn + " stopped before answering");
            case OK -> HttpErrorResponse.badGateway(fn + " ended without answering");
        };
    }

    /**
     * Reads and drops what the handler left unread, so that the close sends FIN rather than RST (closing
     * with unread input resets the connection). Never blocks.
     */
    private static void drain(SocketChannel c) throws IOException {
        c.configureBlocking(false);
        ByteBuffer sink = ByteBuffer.allocate(4096);
        for (int i = 0; i < 16 && c.read(sink) > 0; i++) {
            sink.clear();
        }
    }
}
