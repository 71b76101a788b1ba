package dev.faaspool.admin;

import dev.faaspool.config.Defaults;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HAProxy agent-check listener ({@code --agent}): to every connection it writes the line
 * {@link AgentReply} decides, then closes it, without reading (the agent protocol has the agent speak
 * first; HAProxy's {@code agent-send} string, if configured, is ignored).
 *
 * <p>One daemon thread accepts and answers in turn: a reply is one small write into an empty socket
 * buffer, so it never blocks, and a check costs no thread of its own. A failed accept or write is logged
 * and the next connection served; only {@link #close} ends the thread.
 */
public final class AgentCheck implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentCheck.class);

    private final ServerSocketChannel server;
    private final Supplier<String> reply;
    private final Thread thread;

    private AgentCheck(ServerSocketChannel server, Supplier<String> reply) {
        this.server = server;
        this.reply = reply;
        this.thread = new Thread(this::serve, "agent-check");
        thread.setDaemon(true);
    }

    /** Binds {@code address} and starts answering with what {@code reply} returns at each check. */
    public static AgentCheck start(InetSocketAddress address, Supplier<String> reply) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        try {
            s.bind(address, 64);
        } catch (IOException e) {
            s.close();
            throw new IOException("agent-check cannot listen on " + Defaults.format(address) + ": " + e.getMessage(), e);
        }
        AgentCheck a = new AgentCheck(s, reply);
        a.thread.start();
        return a;
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                ByteBuffer line = ByteBuffer.wrap(answer().getBytes(StandardCharsets.US_ASCII));
                while (line.hasRemaining()) {
                    c.write(line);
                }
            } catch (ClosedChannelException e) {
                if (!server.isOpen()) {
                    return; // closed by close()
                }
                log.warn("agent-check: {}", e.toString());
            } catch (IOException e) {
                log.warn("agent-check: {}", e.toString()); // a peer that reset; the next check is served
            }
        }
    }

    /** The reply; a failure to decide (a bug) answers {@code down}, logged, rather than silence. */
    private String answer() {
        try {
            return reply.get();
        } catch (RuntimeException e) {
            log.error("agent-check: cannot decide the reply, answering down", e);
            return "down #faas-pool could not decide its state\n";
        }
    }

    /** Where it listens (the port chosen, when asked for port 0). */
    public InetSocketAddress address() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
