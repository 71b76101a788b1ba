package dev.faaspool.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

class SystemdNotifyTest {
    @TempDir
    Path tmp;

    private static String receive(AFUNIXDatagramSocket s) throws IOException {
        byte[] b = new byte[4096];
        DatagramPacket p = new DatagramPacket(b, b.length);
        s.receive(p);
        return new String(b, 0, p.getLength(), StandardCharsets.UTF_8);
    }

    @Test
    void theMessagesReachTheManagersDatagramSocket() throws IOException {
        File path = tmp.resolve("notify").toFile();
        try (AFUNIXDatagramSocket manager = AFUNIXDatagramSocket.newInstance()) {
            manager.bind(AFUNIXSocketAddress.of(path));
            manager.setSoTimeout(2000);
            try (SystemdNotify n = SystemdNotify.forSocket(path.getPath())) {
                n.status("hello: 1/4 warm");
                n.ready("hello: 4/4 warm\nserving");
                n.reloading();
                n.stopping("draining");
            }
            assertEquals("STATUS=hello: 1/4 warm", receive(manager));
            assertEquals("READY=1\nSTATUS=hello: 4/4 warm serving", receive(manager), "one line per field");
            assertEquals("RELOADING=1", receive(manager));
            assertEquals("STOPPING=1\nSTATUS=draining", receive(manager));
        }
    }

    @Test
    void anAbstractNamespaceSocketIsReachedToo() throws IOException {
        String name = "faas-pool-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (AFUNIXDatagramSocket manager = AFUNIXDatagramSocket.newInstance()) {
            manager.bind(AFUNIXSocketAddress.inAbstractNamespace(name));
            manager.setSoTimeout(2000);
            try (SystemdNotify n = SystemdNotify.forSocket("@" + name)) {
                n.ready("up");
            }
            assertEquals("READY=1\nSTATUS=up", receive(manager));
        }
    }

    @Test
    void noSocketOrAMissingOneDoesNothingAndNeverThrows() throws IOException {
        try (SystemdNotify none = SystemdNotify.forSocket(null); SystemdNotify empty = SystemdNotify.forSocket("");
                SystemdNotify gone = SystemdNotify.forSocket(tmp.resolve("nobody-listens").toString())) {
            none.ready("x");
            empty.ready("x");
            gone.ready("x"); // logged once
            gone.stopping("x");
        }
        // And a manager bound later at that path hears nothing more: the first failure ends the notifications.
        File path = tmp.resolve("late").toFile();
        try (SystemdNotify n = SystemdNotify.forSocket(path.getPath());
                AFUNIXDatagramSocket manager = AFUNIXDatagramSocket.newInstance()) {
            n.status("lost");
            manager.bind(AFUNIXSocketAddress.of(path));
            manager.setSoTimeout(300);
            n.status("after");
            org.junit.jupiter.api.Assertions.assertThrows(SocketTimeoutException.class, () -> receive(manager));
        }
    }
}
