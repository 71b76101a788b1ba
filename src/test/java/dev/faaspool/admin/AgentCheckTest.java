package dev.faaspool.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AgentCheckTest {
    private static String check(InetSocketAddress at) throws IOException {
        try (Socket s = new Socket(at.getAddress(), at.getPort())) {
            s.setSoTimeout(2000);
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII); // the agent closes after its line
        }
    }

    @Test
    void eachConnectionGetsTheCurrentLineAndIsClosed() throws IOException {
        AtomicReference<String> line = new AtomicReference<>("up ready 100%\n");
        try (AgentCheck agent = AgentCheck.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), line::get)) {
            assertEquals("up ready 100%\n", check(agent.address()));
            line.set("drain\n");
            assertEquals("drain\n", check(agent.address()));
        }
    }

    @Test
    void aPeerThatResetsOrADecisionThatFailsDoesNotStopTheAgent() throws IOException {
        AtomicReference<String> line = new AtomicReference<>(null);
        try (AgentCheck agent = AgentCheck.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), () -> {
            String l = line.get();
            if (l == null) {
                throw new IllegalStateException("a bug");
            }
            return l;
        })) {
            assertTrue(check(agent.address()).startsWith("down #"), "a failed decision answers down");
            try (Socket s = new Socket()) {
                s.setSoLinger(true, 0);
                s.connect(agent.address()); // and resets at once
            }
            line.set("up ready 50%\n");
            assertEquals("up ready 50%\n", check(agent.address()));
        }
    }

    @Test
    void aBusyAddressIsAClearError() throws IOException {
        try (AgentCheck first = AgentCheck.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), () -> "up\n")) {
            IOException e = assertThrows(IOException.class, () -> AgentCheck.start(first.address(), () -> "up\n"));
            assertTrue(e.getMessage().startsWith("agent-check cannot listen on 127.0.0.1:"), e.getMessage());
        }
    }

    @Test
    void closeStopsListening() throws IOException {
        AgentCheck agent = AgentCheck.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), () -> "up\n");
        InetSocketAddress at = agent.address();
        agent.close();
        assertThrows(IOException.class, () -> check(at));
    }
}
