package dev.faaspool.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The admin endpoint's access rule and bearer check, without a server. */
class AdminAccessTest {
    private static final String TOKEN = "s3cr3t-token_with.all~chars+/=";
    private final AdminAccess access = AdminAccess.bearer(TOKEN);

    // ---- where it may bind ----

    @Test
    void withoutATokenOnlyLoopbackAddressesAreAllowed() throws Exception {
        for (String host : List.of("127.0.0.1", "127.8.9.10", "::1", "localhost")) {
            AdminAccess a = AdminAccess.decide(new InetSocketAddress(InetAddress.getByName(host), 9180), null);
            assertFalse(a.requiresToken(), host);
        }
        for (String host : List.of("0.0.0.0", "::", "192.0.2.10", "10.0.0.1", "fe80::1", "2001:db8::1")) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), 9180);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AdminAccess.decide(address, null), host);
            assertTrue(e.getMessage().contains("--admin-token-file") && e.getMessage().startsWith("--admin "),
                    e.getMessage());
        }
    }

    @Test
    void anUnresolvedHostIsNotTakenForLoopback() {
        InetSocketAddress unresolved = InetSocketAddress.createUnresolved("localhost", 9180);
        assertThrows(IllegalArgumentException.class, () -> AdminAccess.decide(unresolved, null));
    }

    @Test
    void withATokenAnyAddressIsAllowed() throws Exception {
        for (String host : List.of("0.0.0.0", "::", "192.0.2.10", "127.0.0.1")) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), 9180);
            assertTrue(AdminAccess.decide(address, TOKEN).requiresToken(), host);
        }
    }

    @Test
    void anOpenEndpointPermitsEveryRequest() {
        assertTrue(AdminAccess.open().permits(null));
        assertTrue(AdminAccess.open().permits(List.of("Bearer whatever")));
    }

    // ---- the bearer check ----

    @Test
    void theRightTokenIsPermittedWhateverTheSchemesCase() {
        assertTrue(access.permits(List.of("Bearer " + TOKEN)));
        assertTrue(access.permits(List.of("bearer " + TOKEN)), "the scheme is case-insensitive (RFC 9110 11.1)");
        assertTrue(access.permits(List.of("BEARER " + TOKEN)));
        assertTrue(access.permits(List.of("Bearer   " + TOKEN + " \t")),
                "whitespace around a field value is not part of it (RFC 9110 5.5)");
    }

    @Test
    void noOrEmptyHeadersAreRefused() {
        assertFalse(access.permits(null));
        assertFalse(access.permits(List.of()));
        assertFalse(access.permits(List.of("")));
        assertFalse(access.permits(Arrays.asList((String) null)));
    }

    @Test
    void aSchemeWithoutACredentialIsRefused() {
        assertFalse(access.permits(List.of("Bearer")));
        assertFalse(access.permits(List.of("Bearer ")));
        assertFalse(access.permits(List.of("Bearer      ")));
    }

    @Test
    void anotherSchemeOrNoSchemeIsRefused() {
        assertFalse(access.permits(List.of(TOKEN)), "the token alone");
        assertFalse(access.permits(List.of("Basic " + TOKEN)));
        assertFalse(access.permits(List.of("Bearer: " + TOKEN)));
        assertFalse(access.permits(List.of("Bearertoken " + TOKEN)));
    }

    @Test
    void aTokenOfAnotherLengthOrCaseIsRefused() {
        assertFalse(access.permits(List.of("Bearer " + TOKEN.substring(0, TOKEN.length() - 1))), "a prefix");
        assertFalse(access.permits(List.of("Bearer " + TOKEN + "x")), "the token and more");
        assertFalse(access.permits(List.of("Bearer " + TOKEN + TOKEN)));
        assertFalse(access.permits(List.of("Bearer " + TOKEN.toUpperCase(java.util.Locale.ROOT))), "the token's case counts");
        assertFalse(access.permits(List.of("Bearer x")));
        assertFalse(access.permits(List.of("Bearer " + "a".repeat(100_000))));
    }

    @Test
    void twoAuthorizationHeadersAreRefusedEvenIfOneIsRight() {
        assertFalse(access.permits(List.of("Bearer " + TOKEN, "Bearer " + TOKEN)));
        assertFalse(access.permits(List.of("Bearer wrong", "Bearer " + TOKEN)));
        assertFalse(access.permits(List.of("Bearer " + TOKEN, "Bearer wrong")));
    }

    @Test
    void aCredentialThatIsNotOneTokenIsRefused() {
        assertFalse(access.permits(List.of("Bearer " + TOKEN + ", Bearer " + TOKEN)), "a folded list");
        assertFalse(access.permits(List.of("Bearer " + TOKEN + " extra")));
    }

    @Test
    void aTokenNoClientCouldSendIsRefusedAtOnce() {
        for (String bad : List.of("", "two words", "line\nbreak", "tab\there", "ünïcode", "=leading")) {
            assertThrows(IllegalArgumentException.class, () -> AdminAccess.bearer(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> AdminAccess.bearer(null));
    }

    @Test
    void theTextShowsNeitherTheTokenNorItsHash() {
        assertEquals("AdminAccess[bearer token]", access.toString());
        assertEquals("AdminAccess[open, loopback only]", AdminAccess.open().toString());
    }
}
