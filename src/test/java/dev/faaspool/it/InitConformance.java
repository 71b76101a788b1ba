package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.dispatch.SocketDescriptors;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * faas-init as a black box: the static binary run on the host against a control socket of the test's
 * own, checked for its exit codes, its one-line errors and its side of control protocol version 1.
 */
class FaasInitIT {
    private static final Path INIT = Path.of(System.getProperty("faaspool.runtimeBuild", "target/runtime-init"),
            "faas-init");

    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    @Test
    void withoutACommandPrintsUsageAndExits2() throws Exception {
        Process p = init(dir.resolve("none.sock"));
        assertEquals(2, exit(p));
        assertEquals(List.of("faas-init: usage: faas-init <command> [args...]"), stderrLines(p));
    }

    @Test
    void aMissingControlSocketExits1WithOneLine() throws Exception {
        Path sock = dir.resolve("missing.sock");
        Process p = init(sock, "/bin/true");
        assertEquals(1, exit(p));
        assertEquals(List.of("faas-init: connect to " + sock + ": No such file or directory"), stderrLines(p));
    }

    @Test
    void theControlSocketDefaultsToSlashControlSock() throws Exception {
        Process p = start(List.of(INIT.toString(), "/bin/true"), Map.of());
        assertEquals(1, exit(p));
        assertEquals(List.of("faas-init: connect to /control.sock: No such file or directory"), stderrLines(p));
    }

    @Test
    void saysHelloWithProtocolVersionAndPid() throws Exception {
        Control c = control();
        Process p = init(c.path, "/bin/true");
        AFUNIXSocket s = c.accept();
        assertEquals("HELLO 1 " + p.pid(), c.line(s));
        s.close();
        assertEquals(1, exit(p), "the pool went away before sending a descriptor");
        assertEquals(List.of("faas-init: control socket closed before a descriptor arrived"), stderrLines(p));
    }

    @Test
    void aMessageWithoutADescriptorIsRefused() throws Exception {
        Control c = control();
        Process p = init(c.path, "/bin/true");
        AFUNIXSocket s = c.accept();
        c.line(s);
        s.getOutputStream().write('F');
        assertEquals("FAIL nofd 0 message did not carry exactly one descriptor", c.line(s));
        assertEquals(1, exit(p));
        assertEquals(List.of("faas-init: message did not carry exactly one descriptor"), stderrLines(p));
    }

    @Test
    void aHandlerThatDoesNotExistExits127AfterTheAck() throws Exception {
        Control c = control();
        Process p = init(c.path, "/no/such/handler");
        try (TcpPair tcp = new TcpPair()) {
            AFUNIXSocket s = c.accept();
            c.line(s);
            send(s, tcp.serverFd());
            assertEquals("ACK", c.line(s));
            assertEquals("FAIL exec 2 No such file or directory", c.line(s));
            assertEquals(127, exit(p));
            assertEquals(List.of("faas-init: exec /no/such/handler: No such file or directory"), stderrLines(p));
        }
    }

    @Test
    void aHandlerThatCannotBeExecutedExits126() throws Exception {
        Path notExecutable = Files.writeString(dir.resolve("handler.txt"), "not a program\n");
        Control c = control();
        Process p = init(c.path, notExecutable.toString());
        try (TcpPair tcp = new TcpPair()) {
            AFUNIXSocket s = c.accept();
            c.line(s);
            send(s, tcp.serverFd());
            assertEquals("ACK", c.line(s));
            assertEquals("FAIL exec 13 Permission denied", c.line(s));
            assertEquals(126, exit(p));
        }
    }

    @Test
    void execsTheHandlerWithABlockingDescriptorAndNothingElse() throws Exception {
        // The handler reports what it inherited: whether FAAS_CLIENT_FD is blocking, and any other
        // socket it can see (the control connection must have closed on exec).
        String handler = String.join("\n",
                "import os",
                "fd = int(os.environ['FAAS_CLIENT_FD'])",
                "others = [n for n in os.listdir('/proc/self/fd') if int(n) != fd",
                "          and os.path.exists('/proc/self/fd/' + n)",
                "          and os.readlink('/proc/self/fd/' + n).startswith('socket:')]",
                "os.write(fd, ('blocking=%s others=%s' % (os.get_blocking(fd), others)).encode())");
        Control c = control();
        Process p = init(c.path, "python3", "-c", handler);
        try (TcpPair tcp = new TcpPair()) {
            tcp.server.configureBlocking(false); // as a pool's socket may be; the init must clear it
            AFUNIXSocket s = c.accept();
            assertTrue(c.line(s).startsWith("HELLO 1 "));
            send(s, tcp.serverFd());
            assertEquals("ACK", c.line(s));
            assertEquals(-1, s.getInputStream().read(), "the control connection closes when the handler is exec'd");
            tcp.server.close(); // the pool's copy: the connection lives on in the handler
            assertEquals(0, exit(p), String.join("\n", stderrLines(p)));
            assertEquals("blocking=True others=[]", tcp.clientReadAll());
        }
    }

    // --- harness ---

    private record Control(Path path, AFUNIXServerSocket server) {
        AFUNIXSocket accept() throws IOException {
            server.setSoTimeout(10_000);
            AFUNIXSocket s = server.accept();
            s.setSoTimeout(10_000);
            return s;
        }

        String line(AFUNIXSocket s) throws IOException {
            StringBuilder sb = new StringBuilder();
            InputStream in = s.getInputStream();
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new IOException("EOF after '" + sb + "'");
                }
                sb.append((char) b);
            }
            return sb.toString();
        }
    }

    private Control control() throws IOException {
        Path path = dir.resolve("control.sock");
        AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(path));
        open.add(server);
        return new Control(path, server);
    }

    private static void send(AFUNIXSocket s, FileDescriptor fd) throws IOException {
        s.setOutboundFileDescriptors(fd);
        s.getOutputStream().write('F');
        s.getOutputStream().flush();
    }

    /** A loopback TCP connection whose server end is what the init receives. */
    private final class TcpPair implements AutoCloseable {
        final SocketChannel client;
        final SocketChannel server;

        TcpPair() throws IOException {
            try (ServerSocketChannel l = ServerSocketChannel.open()) {
                l.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                client = SocketChannel.open(l.getLocalAddress());
                server = l.accept();
            }
        }

        FileDescriptor serverFd() {
            return SocketDescriptors.of(server);
        }

        String clientReadAll() throws IOException {
            client.socket().setSoTimeout(10_000);
            return new String(client.socket().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws IOException {
            client.close();
            server.close();
        }
    }

    private Process init(Path sock, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(INIT.toString()));
        cmd.addAll(List.of(command));
        return start(cmd, Map.of("FAAS_CONTROL_SOCK", sock.toString()));
    }

    private Process start(List<String> cmd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("FAAS_CONTROL_SOCK");
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    private static int exit(Process p) throws InterruptedException {
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "faas-init did not exit");
        return p.exitValue();
    }

    private static List<String> stderrLines(Process p) throws IOException {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
            return r.lines().toList();
        }
    }
}
