package dev.faaspool.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.dispatch.SocketDescriptors;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

class ControlMessageTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path tmp;

    private final ExecutorService fakeInit = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fake-init");
        t.setDaemon(true);
        return t;
    });
    private ControlEndpoint endpoint;
    private AFUNIXSocket init;
    private ControlConnection connection;

    @BeforeEach
    void openEndpoint() throws IOException {
        endpoint = ControlEndpoint.open(tmp.resolve("slot-1"), currentId("unix:uid"), currentId("unix:gid"));
    }

    @AfterEach
    void closeEverything() throws IOException {
        fakeInit.shutdownNow();
        if (connection != null) {
            connection.close();
        }
        if (init != null) {
            init.close();
        }
        endpoint.close();
    }

    // ---- ControlMessage.parse ----

    @Test
    void parsesHello() throws ProtocolException {
        assertEquals(new ControlMessage.Hello(2, 42, 1), ControlMessage.parse("HELLO 2 42"));
        assertEquals(new ControlMessage.Hello(2, 42, 4), ControlMessage.parse("HELLO 2 42 4"));
    }

    @Test
    void aHelloThatSaysTraceTakesTraceContext() throws ProtocolException {
        assertEquals(new ControlMessage.Hello(2, 42, 1, true), ControlMessage.parse("HELLO 2 42 1 trace"));
        assertEquals(new ControlMessage.Hello(2, 42, 4, true), ControlMessage.parse("HELLO 2 42 4 later trace"));
        assertEquals(new ControlMessage.Hello(2, 42, 4, false), ControlMessage.parse("HELLO 2 42 4 traces"));
        assertEquals(new ControlMessage.Hello(2, 42, 1, false), ControlMessage.parse("HELLO 2 42"));
    }

    @Test
    void parsesAck() throws ProtocolException {
        assertEquals(new ControlMessage.Ack(), ControlMessage.parse("ACK"));
    }

    @Test
    void parsesFailKeepingTheSpacesOfItsText() throws ProtocolException {
        ControlMessage m = ControlMessage.parse("FAIL exec 2 No such file or directory");
        assertEquals(new ControlMessage.Fail("exec", 2, "No such file or directory"), m);
        assertTrue(((ControlMessage.Fail) m).isExec());
    }

    @Test
    void parsesAFailOfAnotherStage() throws ProtocolException {
        ControlMessage m = ControlMessage.parse("FAIL nofd 0 message did not carry exactly one descriptor");
        assertEquals(new ControlMessage.Fail("nofd", 0, "message did not carry exactly one descriptor"), m);
        assertFalse(((ControlMessage.Fail) m).isExec());
    }

    @Test
    void parsesAFailWithoutText() throws ProtocolException {
        assertEquals(new ControlMessage.Fail("recv", 104, ""), ControlMessage.parse("FAIL recv 104"));
    }

    @Test
    void ignoresTrailingFieldsALaterVersionMayAdd() throws ProtocolException {
        assertEquals(new ControlMessage.Hello(2, 42, 4), ControlMessage.parse("HELLO 2 42 4 fork"));
        assertEquals(new ControlMessage.Done(0, 3), ControlMessage.parse("DONE 0 3 12ms"));
        assertEquals(new ControlMessage.Ack(), ControlMessage.parse("ACK 3"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"HELLO", "HELLO x 1", "HELLO 1", "HELLO 1 x", "HELLO 2 42 0", "HELLO 2 42 x", "BYE", "",
            "DONE", "DONE 0", "DONE 0 0", "DONE 0 -1", "DONE x 1", "DONE 0 x",
            "FAIL exec", "FAIL exec two text", "hello 1 42"})
    void rejectsLinesTheProtocolDoesNotDefine(String line) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> ControlMessage.parse(line));
        assertEquals("unexpected control message '" + line + "'", e.getMessage());
    }

    // ---- ControlEndpoint ----

    @Test
    void theDirectoryIsThePoolsAndTheSocketReachableByItsOwnerOnly() throws IOException {
        Path sock = endpoint.dir().resolve(ControlEndpoint.SOCKET_NAME);
        assertEquals(tmp.resolve("slot-1"), endpoint.dir());
        // The directory stays this process's (root's, in production): the container sees it read-only.
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(endpoint.dir())));
        assertEquals(currentId("unix:uid"), Files.getAttribute(endpoint.dir(), "unix:uid"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
        assertEquals(currentId("unix:uid"), Files.getAttribute(sock, "unix:uid"));
        assertEquals(currentId("unix:gid"), Files.getAttribute(sock, "unix:gid"));
    }

    @Test
    void removeFilesDeletesOnlyWhatThePoolMadeAndNeverFollowsALink() throws IOException {
        Path canary = Files.writeString(tmp.resolve("canary"), "host file");
        endpoint.close();
        Path sock = endpoint.dir().resolve(ControlEndpoint.SOCKET_NAME);
        Files.deleteIfExists(sock); // junixsocket unlinks it on close
        Files.createSymbolicLink(sock, canary); // what a container could do if the directory were writable
        endpoint.removeFiles();
        assertTrue(Files.exists(canary), "the link's target survives");
        assertFalse(Files.exists(endpoint.dir()));

        try (ControlEndpoint other = ControlEndpoint.open(tmp.resolve("slot-2"), currentId("unix:uid"),
                currentId("unix:gid"))) {
            Path planted = Files.createDirectory(other.dir().resolve("planted"));
            Files.createSymbolicLink(planted.resolve("link"), canary);
            other.removeFiles(); // not empty: left as it is, never walked
            assertTrue(Files.exists(planted.resolve("link"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
            assertTrue(Files.exists(canary));
        }
    }

    @Test
    void openingAnExistingDirectoryFails() {
        assertThrows(IOException.class,
                () -> ControlEndpoint.open(endpoint.dir(), currentId("unix:uid"), currentId("unix:gid")));
    }

    @Test
    void closeMakesAPendingAcceptFailQuicklyAndRemoveFilesRemovesTheDirectory() throws Exception {
        Future<ControlConnection> accepting = fakeInit.submit(() -> endpoint.accept(Duration.ofMinutes(1)));
        Thread.sleep(50); // give accept a moment to block; it must fail either way
        long start = System.nanoTime();
        endpoint.close();

        ExecutionException e = assertThrows(ExecutionException.class, () -> accepting.get(5, TimeUnit.SECONDS));
        assertInstanceOf(IOException.class, e.getCause());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "accept failed only after close");
        assertTrue(Files.exists(tmp.resolve("slot-1")), "the files stay until the container is gone");
        endpoint.close(); // idempotent
        endpoint.removeFiles();
        assertFalse(Files.exists(tmp.resolve("slot-1")));
    }

    @Test
    void acceptTimesOutWhenNobodyConnects() {
        assertThrows(SocketTimeoutException.class, () -> endpoint.accept(Duration.ofMillis(50)));
    }

    // ---- ControlConnection, with a fake init on the other end ----

    @Test
    void awaitHelloReturnsTheInitsHello() throws Exception {
        connect();
        send("HELLO 2 42\n");
        assertEquals(new ControlMessage.Hello(2, 42, 1), connection.awaitHello(WAIT));
    }

    @Test
    void aHelloOfAnotherProtocolVersionIsRejectedNamingBothVersions() throws Exception {
        connect();
        send("HELLO 1 42\n");
        ProtocolException e = assertThrows(ProtocolException.class, () -> connection.awaitHello(WAIT));
        assertEquals("init speaks control protocol 1, this pool speaks 2 (rebuild the image with this faas-pool's"
                + " runtime-init)", e.getMessage());
    }

    @Test
    void anythingButHelloFirstIsAProtocolError() throws Exception {
        connect();
        send("ACK\n");
        ProtocolException e = assertThrows(ProtocolException.class, () -> connection.awaitHello(WAIT));
        assertTrue(e.getMessage().startsWith("expected HELLO, got "), e.getMessage());
    }

    @Test
    void anInitThatClosesBeforeHelloIsAnIoErrorButNoProtocolError() throws Exception {
        connect();
        init.close();
        IOException e = assertThrows(IOException.class, () -> connection.awaitHello(WAIT));
        assertFalse(e instanceof ProtocolException);
        assertEquals("init closed the control connection before saying HELLO", e.getMessage());
    }

    @Test
    void awaitHelloTimesOutWhenTheInitSaysNothing() throws Exception {
        connect();
        assertThrows(SocketTimeoutException.class, () -> connection.awaitHello(Duration.ofMillis(50)));
    }

    @Test
    void aLineLongerThan128BytesIsAProtocolError() throws Exception {
        connect();
        send("HELLO 2 " + "9".repeat(200));
        ProtocolException e = assertThrows(ProtocolException.class, () -> connection.awaitHello(WAIT));
        assertEquals("control line longer than 128 bytes", e.getMessage());
    }

    @Test
    void aConnectionThatEndsInsideALineIsAProtocolError() throws Exception {
        connect();
        send("HELLO 2");
        init.close();
        ProtocolException e = assertThrows(ProtocolException.class, () -> connection.awaitHello(WAIT));
        assertEquals("control connection ended inside a line", e.getMessage());
    }

    @Test
    void linesThatArriveTogetherAreReadOneAtATime() throws Exception {
        connect();
        send("HELLO 2 7\nACK\n");
        assertEquals(new ControlMessage.Hello(2, 7, 1), connection.awaitHello(WAIT));
        assertEquals(new ControlMessage.Ack(), connection.awaitStart(WAIT));
    }

    @Test
    void sendDescriptorHandsOverTheClientSocketAndReturnsAck() throws Exception {
        connectAndSayHello();
        try (TcpPair tcp = TcpPair.open()) {
            Future<Integer> initSide = fakeInit.submit(() -> {
                FileDescriptor[] fds = receiveDescriptor();
                // Prove it is the client's connection: write to it through the received descriptor.
                try (OutputStream toClient = FileDescriptorCast.using(fds[0]).as(OutputStream.class)) {
                    toClient.write("from the init".getBytes(StandardCharsets.US_ASCII));
                }
                init.getOutputStream().write("ACK\n".getBytes(StandardCharsets.US_ASCII));
                return fds.length;
            });

            ControlMessage answer = connection.sendDescriptor(SocketDescriptors.of(tcp.accepted), WAIT);

            assertEquals(new ControlMessage.Ack(), answer);
            assertEquals(1, initSide.get(5, TimeUnit.SECONDS));
            assertEquals("from the init", tcp.clientReads("from the init".length()));

            init.close(); // the handler was exec'd: SOCK_CLOEXEC closed the init's end
            assertEquals(new ControlMessage.Eof(), connection.awaitStart(WAIT));
        }
    }

    @Test
    void sendDescriptorReturnsEofWhenTheInitClosesWithoutAnswering() throws Exception {
        connectAndSayHello();
        try (TcpPair tcp = TcpPair.open()) {
            Future<?> initSide = fakeInit.submit(() -> {
                receiveDescriptor();
                init.close();
                return null;
            });
            assertEquals(new ControlMessage.Eof(), connection.sendDescriptor(SocketDescriptors.of(tcp.accepted), WAIT));
            initSide.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void sendDescriptorReturnsTheInitsFail() throws Exception {
        connectAndSayHello();
        try (TcpPair tcp = TcpPair.open()) {
            Future<?> initSide = fakeInit.submit(() -> {
                receiveDescriptor();
                send("FAIL nofd 0 message did not carry exactly one descriptor\n");
                return null;
            });
            assertEquals(new ControlMessage.Fail("nofd", 0, "message did not carry exactly one descriptor"),
                    connection.sendDescriptor(SocketDescriptors.of(tcp.accepted), WAIT));
            initSide.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void sendDescriptorTimesOutWhenTheInitDoesNotAnswer() throws Exception {
        connectAndSayHello();
        try (TcpPair tcp = TcpPair.open()) {
            assertThrows(SocketTimeoutException.class,
                    () -> connection.sendDescriptor(SocketDescriptors.of(tcp.accepted), Duration.ofMillis(100)));
            // The byte and the descriptor did arrive.
            init.setSoTimeout(5000);
            assertEquals(1, receiveDescriptor().length);
        }
    }

    // ---- helpers ----

    private static int currentId(String attribute) throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), attribute);
    }

    /** Connects the fake init (the backlog takes it before accept) and accepts it. */
    private void connect() throws IOException {
        init = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(endpoint.dir().resolve(ControlEndpoint.SOCKET_NAME)));
        connection = endpoint.accept(WAIT);
    }

    private void connectAndSayHello() throws IOException {
        connect();
        send("HELLO 2 42\n");
        assertEquals(new ControlMessage.Hello(2, 42, 1), connection.awaitHello(WAIT));
    }

    private void send(String text) throws IOException {
        OutputStream out = init.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** What faas-init does: read the one byte 'F' and the descriptors that came with it. */
    private FileDescriptor[] receiveDescriptor() throws IOException {
        init.setAncillaryReceiveBufferSize(1024);
        InputStream in = init.getInputStream();
        assertEquals('F', in.read());
        FileDescriptor[] fds = init.getReceivedFileDescriptors();
        assertTrue(fds != null && fds.length == 1, "expected one descriptor");
        return fds;
    }

    /** A loopback TCP connection: {@code accepted} is what the pool would hand over, {@code client} the peer. */
    private static final class TcpPair implements AutoCloseable {
        final ServerSocketChannel server;
        final SocketChannel client;
        final SocketChannel accepted;

        private TcpPair(ServerSocketChannel server, SocketChannel client, SocketChannel accepted) {
            this.server = server;
            this.client = client;
            this.accepted = accepted;
        }

        static TcpPair open() throws IOException {
            ServerSocketChannel server = ServerSocketChannel.open()
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel client = SocketChannel.open(server.getLocalAddress());
            return new TcpPair(server, client, server.accept());
        }

        String clientReads(int n) throws IOException {
            client.socket().setSoTimeout(5000);
            byte[] got = client.socket().getInputStream().readNBytes(n);
            return new String(got, StandardCharsets.US_ASCII);
        }

        @Override
        public void close() throws IOException {
            accepted.close();
            client.close();
            server.close();
        }
    }
}
