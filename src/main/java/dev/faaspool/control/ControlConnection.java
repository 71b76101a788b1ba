package dev.faaspool.control;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.newsclub.net.unix.AFUNIXSocket;

/**
 * The pool's side of one init's control connection (runtime-init/PROTOCOL.md, version 1).
 *
 * <p>Used by one thread at a time: the slot's launcher until the hello, then the dispatcher that holds
 * the slot. {@link #close()} may be called from any thread and makes a blocked read return.
 */
public final class ControlConnection implements AutoCloseable {
    private static final int MAX_LINE = 128;
    private static final byte DESCRIPTOR = 'F';

    private final AFUNIXSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] buf = new byte[2 * MAX_LINE];
    private int start;
    private int end;

    ControlConnection(AFUNIXSocket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /**
     * Reads the init's hello.
     *
     * @throws ProtocolException for anything but a {@code HELLO} of this protocol version
     * @throws IOException       on EOF, timeout or a socket error
     */
    public ControlMessage.Hello awaitHello(Duration timeout) throws IOException {
        ControlMessage m = read(timeout);
        if (m instanceof ControlMessage.Hello h) {
            if (h.version() != ControlMessage.VERSION) {
                throw new ProtocolException("init speaks control protocol " + h.version()
                        + ", this pool speaks " + ControlMessage.VERSION
                        + (h.version() < ControlMessage.VERSION ? " (rebuild the image with this faas-pool's runtime-init)" : ""));
            }
            return h;
        }
        if (m instanceof ControlMessage.Eof) {
            throw new IOException("init closed the control connection before saying HELLO");
        }
        throw new ProtocolException("expected HELLO, got " + m);
    }

    /**
     * Sends {@code client} to the init and waits up to {@code timeout} for its answer. The answer is
     * {@link ControlMessage.Ack} when the init owns the descriptor; anything else ({@link ControlMessage.Fail},
     * {@link ControlMessage.Eof}) means it does not, and the connection may go to another slot.
     *
     * @throws IOException when sending fails or no answer came in time: the descriptor was not taken
     */
    public ControlMessage sendDescriptor(FileDescriptor client, Duration timeout) throws IOException {
        socket.setOutboundFileDescriptors(client);
        try {
            out.write(DESCRIPTOR);
            out.flush();
        } finally {
            socket.setOutboundFileDescriptors((FileDescriptor[]) null);
        }
        return read(timeout);
    }

    /**
     * After an {@code ACK}, waits for the handler to start: {@link ControlMessage.Run} (fork, persistent)
     * or {@link ControlMessage.Eof} (oneshot: the init exec'd it), or {@link ControlMessage.Fail} when
     * it could not.
     *
     * @throws SocketTimeoutException when none of these came in time
     */
    public ControlMessage awaitStart(Duration timeout) throws IOException {
        return read(timeout);
    }

    /**
     * Fork and persistent modes: waits for the request to end, {@link ControlMessage.Done}; anything
     * else ({@link ControlMessage.Eof}: the container died) means the slot cannot serve again.
     *
     * @throws SocketTimeoutException when the request ran past {@code timeout}
     */
    public ControlMessage awaitDone(Duration timeout) throws IOException {
        return read(timeout);
    }

    /** Reads one message: a line, or {@link ControlMessage.Eof}. Bytes after the line stay buffered. */
    private ControlMessage read(Duration timeout) throws IOException {
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
        int scanned = start;
        while (true) {
            for (; scanned < end; scanned++) {
                if (buf[scanned] == '\n') {
                    if (scanned - start > MAX_LINE) {
                        throw new ProtocolException("control line longer than " + MAX_LINE + " bytes");
                    }
                    String line = new String(buf, start, scanned - start, StandardCharsets.US_ASCII);
                    start = scanned + 1;
                    return ControlMessage.parse(line);
                }
            }
            if (end - start >= MAX_LINE) {
                throw new ProtocolException("control line longer than " + MAX_LINE + " bytes");
            }
            if (end == buf.length) {
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                scanned -= start;
                start = 0;
            }
            int n = in.read(buf, end, buf.length - end);
            if (n < 0) {
                if (start == end) {
                    return new ControlMessage.Eof();
                }
                throw new ProtocolException("control connection ended inside a line");
            }
            end += n;
        }
    }

    /**
     * The connection's descriptor, for a dispatcher taking it over after the hello (it duplicates the
     * descriptor, then closes this). Owned by this connection.
     */
    public java.io.FileDescriptor fileDescriptor() throws IOException {
        return socket.getFileDescriptor();
    }

    /** Whether the init sent anything after its hello: nothing is allowed before the pool's first descriptor. */
    public boolean hasUnread() {
        return end > start;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // Nothing left to release.
        }
    }
}
