package dev.faaspool.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.metrics.FunctionLatency;
import dev.faaspool.metrics.RequestCounters;
import dev.faaspool.metrics.TaskGuard;
import dev.faaspool.pool.HandlerExit;
import dev.faaspool.runtime.ContainerExit;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a client gets when its handler dies: decided from the kernel's view of the socket (real TCP here). */
class ServedClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void handlerExitsAreClassifiedFromStatusAndContainer() {
        assertEquals(HandlerExit.Cause.OK, HandlerExit.ofStatus(0).cause());
        assertEquals(HandlerExit.Cause.ERROR, HandlerExit.ofStatus(3).cause());
        assertEquals(HandlerExit.Cause.ERROR, HandlerExit.ofStatus(128).cause());
        assertEquals(HandlerExit.Cause.SIGNAL, HandlerExit.ofStatus(137).cause());
        assertEquals(HandlerExit.Cause.LOST, HandlerExit.ofStatus(-1).cause());
        assertEquals(HandlerExit.Cause.OOM, HandlerExit.ofContainer(new ContainerExit(137, true, List.of())).cause());
        assertEquals(HandlerExit.Cause.SIGNAL, HandlerExit.ofContainer(new ContainerExit(139, false, List.of())).cause());
    }

    @Test
    void onlyAClientThatWasSentNothingIsAnsweredAndWithWhatHappened() {
        assertNull(ServedClient.answerFor("f", HandlerExit.ofStatus(139), TIMEOUT, true));
        assertEquals(504, ServedClient.answerFor("f", HandlerExit.timeout(30_000), TIMEOUT, false).status());
        HttpErrorResponse oom = ServedClient.answerFor("f",
                HandlerExit.ofContainer(new ContainerExit(137, true, List.of())), TIMEOUT, false);
        assertEquals(502, oom.status());
        assertEquals("function 'f' ran out of memory before answering", oom.message());
        assertEquals("function 'f' was killed by signal 11 before answering",
                ServedClient.answerFor("f", HandlerExit.ofStatus(139), TIMEOUT, false).message());
        assertEquals("function 'f' ended without answering",
                ServedClient.answerFor("f", HandlerExit.ofStatus(0), TIMEOUT, false).message());
    }

    @Test
    void theKernelTellsWhetherAnythingWasWritten() throws Exception {
        try (Pair p = Pair.open()) {
            assertFalse(TcpInfo.anythingWritten(SocketDescriptors.fdVal(p.served)));
            p.served.write(ByteBuffer.wrap("H".getBytes(StandardCharsets.US_ASCII)));
            assertTrue(TcpInfo.anythingWritten(SocketDescriptors.fdVal(p.served)));
        }
    }

    @Test
    void aClientWhoseHandlerDiedSilentlyGets502AndOneThatGotBytesGetsNothingMore() throws Exception {
        try (Pair p = Pair.open(); EventLoop loop = new EventLoop("test", System::nanoTime, new TaskGuard())) {
            RequestCounters c = new RequestCounters();
            Dispatcher answers = new Dispatcher("f", loop, new FunctionLatency("f"), c, null);
            new ServedClient(new Exchange(Native.dup(SocketDescriptors.fdVal(p.served)), loop.now()), loop, answers, TIMEOUT)
                    .end(HandlerExit.ofStatus(137));
            p.served.close(); // the handler's copy, as it were: the served one is this process's
            String got = new String(p.client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(got.startsWith("HTTP/1.1 502 Bad Gateway\r\n"), got);
            assertTrue(got.endsWith("function 'f' was killed by signal 9 before answering\n"), got);
            assertEquals(1, c.handlerFailed.sum());
        }
        try (Pair p = Pair.open(); EventLoop loop = new EventLoop("test", System::nanoTime, new TaskGuard())) {
            RequestCounters c = new RequestCounters();
            Dispatcher answers = new Dispatcher("f", loop, new FunctionLatency("f"), c, null);
            p.served.write(ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhal".getBytes(StandardCharsets.US_ASCII)));
            new ServedClient(new Exchange(Native.dup(SocketDescriptors.fdVal(p.served)), loop.now()), loop, answers, TIMEOUT)
                    .end(HandlerExit.ofStatus(137));
            p.served.close();
            String got = new String(p.client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(got.endsWith("hal"), got);
            assertEquals(0, c.handlerFailed.sum());
        }
    }

    /** A loopback TCP connection: the client's socket and the NIO-accepted one a handler would serve. */
    private record Pair(Socket client, SocketChannel served, ServerSocketChannel server) implements AutoCloseable {
        static Pair open() throws IOException {
            ServerSocketChannel server = ServerSocketChannel.open()
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Socket client = new Socket();
            client.connect(server.getLocalAddress(), 5_000);
            client.setSoTimeout(5_000);
            client.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return new Pair(client, server.accept(), server);
        }

        @Override
        public void close() throws IOException {
            client.close();
            served.close();
            server.close();
        }
    }

}
