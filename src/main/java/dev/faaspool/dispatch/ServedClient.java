package dev.faaspool.dispatch;

import dev.faaspool.log.Outcome;
import dev.faaspool.pool.HandlerExit;
import dev.faaspool.pool.HeldClient;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's copy of a connection a handler serves (see {@link HeldClient}), owned by its
 * function's event loop. When the request ends with the handler failed and the kernel says no byte was
 * ever written to the connection ({@link TcpInfo}), the client gets {@code 502 Bad Gateway} (the
 * handler crashed, exited with an error, ran out of memory or was lost) or {@code 504 Gateway Timeout}
 * (it ran past the request timeout) instead of a bare close. A handler that ended well (status 0) is
 * taken at its word: it answered, or chose to close without one. Once a byte was written, a response has begun: only the
 * handler could finish it, and the connection is closed as it is.
 */
final class ServedClient implements HeldClient {
    private static final Logger log = LoggerFactory.getLogger(ServedClient.class);

    private final Exchange x;
    private final int fd;
    private final EventLoop loop;
    private final Dispatcher answers;
    private final Duration requestTimeout;

    /** @param x the connection a handler now serves (its record ends here) */
    ServedClient(Exchange x, EventLoop loop, Dispatcher answers, Duration requestTimeout) {
        this.x = x;
        this.fd = x.fd;
        this.loop = loop;
        this.answers = answers;
        this.requestTimeout = requestTimeout;
    }

    /** Ends the connection on its loop; from any thread, once. */
    @Override
    public void end(HandlerExit exit) {
        loop.execute(() -> {
            // A handler that ended well answered, or chose to close without a word: no syscall to find out.
            HttpErrorResponse answer = exit.ok() ? null
                    : answerFor(answers.function(), exit, requestTimeout, TcpInfo.anythingWritten(fd));
            if (answer == null) {
                answers.record(x, Outcome.SERVED);
                answers.release(fd);
                return;
            }
            boolean timedOut = answer.status() == 504;
            (timedOut ? answers.counters().timedOut : answers.counters().handlerFailed).increment();
            answers.record(x, timedOut ? Outcome.TIMED_OUT : Outcome.BAD_GATEWAY, answer.message());
            log.info("{}: answered {} for a handler that {}", answers.function(), answer.status(), exit.describe());
            answers.answer(fd, answer);
        });
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
}
