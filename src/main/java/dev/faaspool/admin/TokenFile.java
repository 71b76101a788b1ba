package dev.faaspool.admin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Reads the admin endpoint's bearer token from {@code --admin-token-file}, refusing a file others
 * could read (as ssh refuses a private key that is group- or world-readable), one that is not a regular
 * file (a FIFO would block the start), is larger than {@link #MAX_BYTES}, is empty, or holds more than one
 * word. The content is trimmed, so {@code openssl rand -hex 32 > FILE} with its newline works. No error
 * message contains any of the file's content.
 */
public final class TokenFile {
    /** A token is a few dozen characters; a file of more was not meant as one. */
    static final int MAX_BYTES = 4096;
    /** Fewer characters are guessed too easily to guard a network-facing endpoint. */
    static final int MIN_CHARS = 16;

    private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private TokenFile() {}

    /**
     * The token in {@code file}.
     *
     * @throws IllegalArgumentException naming {@code --admin-token-file}, the file and what to do
     */
    public static String read(Path file) {
        String where = "--admin-token-file " + file + ": ";
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(where + (Files.exists(file) ? "not a regular file" : "no such file"));
        }
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException | IOException e) {
            throw new IllegalArgumentException(where + "cannot read its permissions (" + e + "), so cannot tell "
                    + "who else may read the token");
        }
        Set<PosixFilePermission> extra = EnumSet.noneOf(PosixFilePermission.class);
        extra.addAll(perms);
        extra.retainAll(OTHERS);
        if (!extra.isEmpty()) {
            throw new IllegalArgumentException(where + "permissions " + octal(perms) + " are too open: the token "
                    + "must be readable by its owner only; run chmod 600 " + file);
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + "cannot read it: " + e.getMessage());
        }
        if (bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException(where + "larger than " + MAX_BYTES + " bytes; it should hold one token");
        }
        String token;
        try {
            token = StandardCharsets.US_ASCII.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes))
                    .toString().strip();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(where + "not ASCII; a bearer token is letters, digits and -._~+/=");
        }
        if (token.isEmpty()) {
            throw new IllegalArgumentException(where + "empty; put a token in it, for example: "
                    + "openssl rand -hex 32 > " + file);
        }
        if (!AdminAccess.B64TOKEN.matcher(token).matches()) {
            throw new IllegalArgumentException(where + "not one token: it must be one word of letters, digits and "
                    + "-._~+/ (and = at its end), without spaces or further lines");
        }
        if (token.length() < MIN_CHARS) {
            throw new IllegalArgumentException(where + "the token has " + token.length() + " characters, fewer than "
                    + MIN_CHARS + "; make a longer one, for example: openssl rand -hex 32 > " + file);
        }
        return token;
    }

    private static String octal(Set<PosixFilePermission> perms) {
        String rwx = PosixFilePermissions.toString(perms);
        int mode = 0;
        for (int i = 0; i < 9; i++) {
            if (rwx.charAt(i) != '-') {
                mode |= 1 << (8 - i);
            }
        }
        return String.format("0%03o", mode);
    }
}
