package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The conformance suite against an aarch64 build of an init (runtime-init/build-arm64.sh), run on this
 * host by Debian's qemu-aarch64-static, invoked directly: no binfmt_misc registration is made or needed.
 * Only the init is emulated. qemu-user hands an execve to the host's kernel, so the handlers it execs
 * (/bin/sh, python3, /bin/true) are the host's binaries and run natively; a test here checks both
 * halves. The suite's checks that depend on what qemu-user does not emulate are skipped, each saying
 * why ({@link #underEmulation}).
 */
abstract class Arm64InitConformance extends InitConformance {
    static final Path ARM64 = BUILD.resolve("arm64");
    static final String QEMU = "qemu-aarch64-static";
    /** ELF's e_machine for AArch64. */
    private static final int EM_AARCH64 = 183;

    /** The aarch64 binary. */
    abstract Path binary();

    @Override
    List<String> initCommand() {
        return List.of(QEMU, binary().toString());
    }

    @Override
    boolean underEmulation() {
        return true;
    }

    /** Every test first checks that what qemu runs is an aarch64 executable, not a host binary. */
    @BeforeEach
    void theBinaryIsAnAarch64Elf() throws IOException {
        byte[] header;
        try (InputStream in = Files.newInputStream(binary())) {
            header = in.readNBytes(20);
        }
        assertEquals(20, header.length, binary() + " is too short for an ELF header");
        assertArrayEquals(new byte[] {0x7f, 'E', 'L', 'F'}, Arrays.copyOf(header, 4), binary() + " is not an ELF file");
        int machine = (header[18] & 0xff) | (header[19] & 0xff) << 8; // e_machine, little-endian (EI_DATA 1)
        assertEquals(1, header[5], binary() + " is not little-endian");
        assertEquals(EM_AARCH64, machine, binary() + "'s e_machine");
    }

    /**
     * The init's process is qemu's (its /proc/&lt;pid&gt;/exe, read while it waits for a descriptor
     * after HELLO); the handler it execs in persistent mode, in that same process, is the host's
     * /bin/sh, which sees the host's machine and not the emulated aarch64.
     */
    @Test
    void theInitIsEmulatedAndItsHandlerRunsNatively() throws Exception {
        Path sock = dir.resolve("emulated.sock");
        try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(sock))) {
            server.setSoTimeout(10_000);
            Process init = launch(Map.of("FAAS_CONTROL_SOCK", sock.toString()), "/bin/true");
            try (AFUNIXSocket s = server.accept()) {
                s.setSoTimeout(10_000);
                assertEquals('H', s.getInputStream().read(), "HELLO");
                Path exe = Files.readSymbolicLink(Path.of("/proc", Long.toString(init.pid()), "exe"));
                assertEquals(QEMU, exe.getFileName().toString(), "the init's process runs " + exe);
            } finally {
                init.destroyForcibly();
            }
        }

        Process host = new ProcessBuilder("uname", "-m").start();
        String machine = new String(host.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(host.waitFor(10, TimeUnit.SECONDS));
        assertNotEquals("aarch64", machine, "this test is for a host of another architecture");

        Process p = launch(Map.of("FAAS_MODE", "persistent"), "sh", "-c", "uname -m; readlink /proc/$$/exe");
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), out);
        assertEquals(machine + "\n" + Path.of("/bin/sh").toRealPath() + "\n", out,
                "the handler is the host's sh, native, in the init's process");
    }

    /** Starts the init with this handler command, the protocol's variables being only those given. */
    private Process launch(Map<String, String> env, String... handler) throws IOException {
        List<String> cmd = new ArrayList<>(initCommand());
        cmd.addAll(List.of(handler));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().keySet().removeIf(k -> k.startsWith("FAAS_"));
        pb.environment().putAll(env);
        return pb.start();
    }
}
