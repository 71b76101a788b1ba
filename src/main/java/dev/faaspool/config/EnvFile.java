package dev.faaspool.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a function's {@code env-file}: {@code KEY=VALUE} lines, as {@code docker run --env-file} reads them.
 *
 * <ul>
 *   <li>The value is everything after the first {@code =}, verbatim: no quotes are removed, no variable is
 *       expanded, spaces are kept (a CRLF file's {@code \r} is dropped).</li>
 *   <li>A line that is empty or white space, or whose first non-blank character is {@code #}, is skipped.</li>
 *   <li>Unlike Docker, a line without {@code =} is an error rather than a variable copied from faas-pool's
 *       own environment: nothing of the host's environment passes by accident.</li>
 *   <li>The file must be a regular file (a symbolic link to one is followed, as Kubernetes and systemd mount
 *       secrets through links) of at most {@link #MAX_BYTES}, in UTF-8.</li>
 * </ul>
 *
 * <p>The values are secrets: no error this class raises quotes one, nor the text of a line that could hold
 * one (a malformed line is named by its number; a key is quoted only when it is a valid variable name).
 */
final class EnvFile {
    /** Far above any environment ({@link Bounds#MAX_ENV_BYTES}); a larger file is a wrong path, not secrets. */
    static final int MAX_BYTES = 1 << 20;

    private EnvFile() {}

    /**
     * The variables of {@code file}.
     *
     * @param field the configuration field that names the file, for example {@code functions.hello.env-file}
     * @throws ConfigException at {@code file}'s line, for a malformed line; at the file, for one that cannot be read
     */
    static Map<String, String> read(Path file, String field) throws ConfigException {
        String text = text(file, field);
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new HashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int n = i + 1;
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new ConfigException(file, n, field, "not KEY=VALUE (a line without '=' is not read from"
                        + " faas-pool's environment)");
            }
            String key = line.substring(0, eq).stripLeading();
            String value = line.substring(eq + 1);
            if (!Bounds.ENV_NAME.matcher(key).matches()) {
                // Not quoted: a file that is no env file (a wrong path) could hold a secret before its '='.
                throw new ConfigException(file, n, field, "the name before '=' is not a variable name; names match "
                        + Bounds.ENV_NAME);
            }
            String problem = Bounds.envNameProblem(key);
            if (problem == null) {
                problem = Bounds.envValueProblem(value);
            }
            if (problem != null) {
                throw new ConfigException(file, n, field + "." + key, problem);
            }
            Integer first = lineOf.putIfAbsent(key, n);
            if (first != null) {
                throw new ConfigException(file, n, field + "." + key, "appears twice (first on line " + first + ")");
            }
            out.put(key, value);
        }
        return out;
    }

    private static String text(Path file, String field) throws ConfigException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class); // follows a link to its target
        } catch (IOException e) {
            throw new ConfigException(file, 0, field, "cannot read the env-file: " + reason(e));
        }
        if (!attrs.isRegularFile()) {
            throw new ConfigException(file, 0, field, "the env-file must be a regular file (is a "
                    + (attrs.isDirectory() ? "directory" : "device, pipe or socket") + ")");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1); // bounded whatever the size said: the file may grow meanwhile
        } catch (IOException e) {
            throw new ConfigException(file, 0, field, "cannot read the env-file: " + reason(e));
        }
        if (bytes.length > MAX_BYTES) {
            throw new ConfigException(file, 0, field, "the env-file is larger than " + Units.formatBytes(MAX_BYTES)
                    + "; an environment holds at most " + Units.formatBytes(Bounds.MAX_ENV_BYTES));
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException(file, 0, field, "the env-file is not UTF-8 text");
        }
    }

    private static String reason(IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
