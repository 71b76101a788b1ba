package dev.faaspool.admin;

import dev.faaspool.config.Defaults;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Who may read the admin endpoint: the decision, without a server.
 *
 * <h2>The rule</h2>
 * Without a token the endpoint is open, so it may bind loopback only: whoever can reach it is on this
 * host. Beyond loopback (a LAN address, {@code 0.0.0.0}, {@code ::}) it needs a bearer token, and every
 * request to a protected path must carry {@code Authorization: Bearer <token>}. A token on a loopback
 * address is allowed too (other users of the host then need it as well).
 *
 * <h2>The comparison</h2>
 * Only the token's SHA-256 is kept. A presented credential is hashed and compared with
 * {@link MessageDigest#isEqual}, which takes the same time wherever the bytes differ; comparing the
 * hashes, not the strings, also hides the token's length. Anything ambiguous is refused: no header,
 * two headers (a proxy and this server could read different ones), another scheme, a scheme without
 * a credential, a credential that is not one RFC 6750 {@code b64token}. The scheme's case does not
 * matter ({@code bearer} is {@code Bearer}, RFC 9110 section 11.1); the token's does.
 *
 * <p>{@link #toString} never shows the token or its hash, so {@link dev.faaspool.cli} may log its settings.
 */
public final class AdminAccess {
    /** RFC 6750's b64token: what a bearer credential may be made of. */
    static final Pattern B64TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");

    private static final AdminAccess OPEN = new AdminAccess(null);

    private final byte[] tokenHash; // null: open

    private AdminAccess(byte[] tokenHash) {
        this.tokenHash = tokenHash;
    }

    /** No token: anyone who can connect may read every path. Loopback addresses only. */
    public static AdminAccess open() {
        return OPEN;
    }

    /**
     * Requests must carry {@code token}.
     *
     * @throws IllegalArgumentException when {@code token} is not a b64token (RFC 6750), which no client could send
     */
    public static AdminAccess bearer(String token) {
        if (token == null || !B64TOKEN.matcher(token).matches()) {
            throw new IllegalArgumentException("a bearer token is one word of letters, digits and -._~+/ "
                    + "(and = at its end)");
        }
        return new AdminAccess(sha256(token));
    }

    /**
     * The access for an endpoint on {@code address} with {@code token} (null: none given).
     *
     * @throws IllegalArgumentException when {@code address} is not loopback and there is no token, naming
     *                                  {@code --admin} and {@code --admin-token-file}
     */
    public static AdminAccess decide(InetSocketAddress address, String token) {
        AdminAccess access = token == null ? open() : bearer(token);
        access.checkBinding(address);
        return access;
    }

    /** Whether {@code address} is certainly on this host only: a resolved loopback address. */
    static boolean loopback(InetSocketAddress address) {
        return address.getAddress() != null && address.getAddress().isLoopbackAddress();
    }

    /**
     * Refuses an open endpoint beyond loopback.
     *
     * @throws IllegalArgumentException saying what to change
     */
    public void checkBinding(InetSocketAddress address) {
        if (tokenHash == null && !loopback(address)) {
            throw new IllegalArgumentException("--admin " + Defaults.format(address) + " is not a loopback address, "
                    + "and the admin endpoint serves beyond this host only with a bearer token: give one with "
                    + "--admin-token-file FILE, or bind --admin to 127.0.0.1");
        }
    }

    /** Whether requests need a token. */
    public boolean requiresToken() {
        return tokenHash != null;
    }

    /**
     * Whether a request with these {@code Authorization} header values (null or empty: none) may read a
     * protected path.
     */
    public boolean permits(List<String> authorization) {
        if (tokenHash == null) {
            return true;
        }
        if (authorization == null || authorization.size() != 1 || authorization.get(0) == null) {
            return false;
        }
        String value = authorization.get(0).strip();
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return false;
        }
        String credential = value.substring(space + 1).stripLeading();
        if (!B64TOKEN.matcher(credential).matches()) {
            return false;
        }
        return MessageDigest.isEqual(tokenHash, sha256(credential));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return tokenHash == null ? "AdminAccess[open, loopback only]" : "AdminAccess[bearer token]";
    }
}
