package dev.faaspool.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code --admin-token-file}: what is refused, and that no message shows the file's content. */
@Timeout(10)
class TokenFileTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path tmp;

    @Test
    void theTokenIsTrimmedOfItsNewlineAndSpaces() throws IOException {
        assertEquals(TOKEN, TokenFile.read(file("t1", TOKEN + "\n", "rw-------")));
        assertEquals(TOKEN, TokenFile.read(file("t2", "  " + TOKEN + "\r\n\n", "r--------")));
    }

    @Test
    void aFileTheGroupOrOthersMayReadOrWriteIsRefusedWithTheFix() throws IOException {
        for (String perms : List.of("rw-r-----", "rw----r--", "rw-rw-rw-", "rw-----w-", "rw---x---")) {
            Path f = file("loose-" + perms.replace('-', '_'), TOKEN, perms);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenFile.read(f), perms);
            assertTrue(e.getMessage().startsWith("--admin-token-file " + f + ": permissions 0"), e.getMessage());
            assertTrue(e.getMessage().endsWith("are too open: the token must be readable by its owner only; "
                    + "run chmod 600 " + f), e.getMessage());
            assertFalse(e.getMessage().contains(TOKEN));
        }
    }

    @Test
    void anEmptyOrBlankFileIsRefused() throws IOException {
        for (String content : List.of("", "\n", "   \t\n  ")) {
            Path f = file("empty" + content.length(), content, "rw-------");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenFile.read(f));
            assertTrue(e.getMessage().contains(": empty; put a token in it"), e.getMessage());
        }
    }

    @Test
    void aShortTokenIsRefused() throws IOException {
        Path f = file("short", "abc123\n", "rw-------");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenFile.read(f));
        assertTrue(e.getMessage().contains("the token has 6 characters, fewer than 16"), e.getMessage());
    }

    @Test
    void moreThanOneWordOrLineIsRefusedWithoutShowingIt() throws IOException {
        for (String content : List.of(TOKEN + "\n" + TOKEN + "\n", TOKEN + " " + TOKEN, "Bearer " + TOKEN,
                TOKEN + "\u0000", "password=" + TOKEN + "!")) {
            Path f = file("words" + content.hashCode(), content, "rw-------");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenFile.read(f), content);
            assertTrue(e.getMessage().contains("not one token"), e.getMessage());
            assertFalse(e.getMessage().contains(TOKEN), e.getMessage());
        }
    }

    @Test
    void binaryContentIsRefused() throws IOException {
        Path f = tmp.resolve("binary");
        Files.write(f, new byte[] {(byte) 0xff, (byte) 0xfe, 'a', 'b'});
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenFile.read(f));
        assertTrue(e.getMessage().contains("not ASCII"), e.getMessage());
    }

    @Test
    void aLargeFileIsRefusedWithoutReadingItAll() throws IOException {
        Path f = file("large", "a".repeat(TokenFile.MAX_BYTES + 1), "rw-------");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenFile.read(f));
        assertTrue(e.getMessage().contains("larger than 4096 bytes"), e.getMessage());
        assertEquals(TokenFile.MAX_BYTES, TokenFile.read(file("max", "a".repeat(TokenFile.MAX_BYTES), "rw-------"))
                .length());
    }

    @Test
    void aMissingFileADirectoryOrAFifoIsRefusedWithoutBlocking() throws Exception {
        Path missing = tmp.resolve("missing");
        assertEquals("--admin-token-file " + missing + ": no such file",
                assertThrows(IllegalArgumentException.class, () -> TokenFile.read(missing)).getMessage());
        Path dir = Files.createDirectory(tmp.resolve("dir"));
        assertEquals("--admin-token-file " + dir + ": not a regular file",
                assertThrows(IllegalArgumentException.class, () -> TokenFile.read(dir)).getMessage());
        Path fifo = tmp.resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        // Opening a FIFO blocks until a writer comes: the class's @Timeout fails the test if it opened it.
        assertEquals("--admin-token-file " + fifo + ": not a regular file",
                assertThrows(IllegalArgumentException.class, () -> TokenFile.read(fifo)).getMessage());
    }

    @Test
    void aSymlinkIsJudgedByTheFileItNamesPermissions() throws IOException {
        Path target = file("target", TOKEN, "rw-r--r--");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), target); // a link itself is 0777 on Linux
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TokenFile.read(link));
        assertTrue(e.getMessage().contains("permissions 0644"), e.getMessage());
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
        assertEquals(TOKEN, TokenFile.read(link));
    }

    private Path file(String name, String content, String perms) throws IOException {
        Path f = Files.writeString(tmp.resolve(name), content, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(perms));
        return f;
    }
}
