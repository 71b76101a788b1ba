package dev.faaspool.dispatch;

import dev.faaspool.config.Defaults;
import dev.faaspool.metrics.RequestCounters;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts one function's TCP connections (NIO, see {@link SocketDescriptors}) and passes each, with
 * the time it was accepted, to a worker running its {@link Dispatcher}. When no worker is free the
 * connection is answered 503 here: it is never dropped unanswered.
 */
public final class Listener implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Listener.class);
    private static final int BACKLOG = 1024;

    private final ServerSocketChannel server;
    private final Dispatcher dispatcher;
    private final Executor workers;
    private final RequestCounters counters;
    private final Thread acceptor;

    private Listener(ServerSocketChannel server, Dispatcher dispatcher, Executor workers, RequestCounters counters) {
        this.server = server;
        this.dispatcher = dispatcher;
        this.workers = workers;
        this.counters = counters;
        this.acceptor = new Thread(this::acceptLoop, "accept-" + dispatcher.function());
    }

    /**
     * Binds {@code address}; connections wait in the backlog until {@link #start()}.
     *
     * @throws IOException naming the address when it cannot be bound (in use, not local)
     */
    public static Listener bind(InetSocketAddress address, Dispatcher dispatcher, Executor workers,
            RequestCounters counters) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(address, BACKLOG);
        } catch (IOException e) {
            ch.close();
            throw new IOException("function '" + dispatcher.function() + "' cannot listen on "
                    + Defaults.format(address) + ": " + e.getMessage(), e);
        }
        return new Listener(ch, dispatcher, workers, counters);
    }

    public void start() {
        acceptor.start();
    }

    private void acceptLoop() {
        while (true) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                log.warn("{}: accept failed: {}", dispatcher.function(), e.getMessage());
                continue;
            }
            long accepted = System.nanoTime();
            try {
                workers.execute(() -> dispatcher.dispatch(client, accepted));
            } catch (RejectedExecutionException e) {
                counters.rejected.increment();
                try (client) {
                    HttpErrorResponse.unavailable("faas-pool is overloaded or shutting down", 1).writeTo(client);
                } catch (IOException ignored) {
                    // The client is gone.
                }
            }
        }
    }

    /** Stops accepting; connections already accepted are still dispatched. */
    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
