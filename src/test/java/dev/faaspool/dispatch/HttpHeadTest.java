package dev.faaspool.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.faaspool.dispatch.HttpHead.Status;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HttpHeadTest {
    private static HttpHead.Parse parse(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return HttpHead.parse(b, b.length, 8192);
    }

    @Test
    void readsPathWithoutQueryAndHostWithoutPortLowercase() {
        HttpHead.Parse p = parse("POST /function/hello/x?y=/function/other HTTP/1.1\r\nHOST: API.Example.com.:8080\r\n"
                + "Content-Length: 5\r\n\r\nhello");
        assertEquals(Status.COMPLETE, p.status());
        assertEquals(new HttpHead("POST", "/function/hello/x", "api.example.com"), p.head());
    }

    @Test
    void absoluteFormTargetNamesTheHostOverTheHeader() {
        HttpHead h = parse("GET http://a.example/function/f?q HTTP/1.1\r\nHost: b.example\r\n\r\n").head();
        assertEquals(new HttpHead("GET", "/function/f", "a.example"), h);
        assertEquals("/", parse("GET http://a.example HTTP/1.1\r\n\r\n").head().path());
    }

    @Test
    void bareLineFeedsAndHttp10WithoutHostAreRead() {
        HttpHead h = parse("GET / HTTP/1.0\n\n").head();
        assertEquals(new HttpHead("GET", "/", ""), h);
    }

    @Test
    void ipv6HostKeepsItsBracketsAndLosesItsPort() {
        assertEquals("[::1]", parse("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n").head().host());
    }

    @Test
    void aHeadCutAnywhereIsIncompleteNotAnError() {
        String full = "GET /function/hello HTTP/1.1\r\nHost: h\r\nUser-Agent: curl/8\r\n\r\n";
        for (int i = 0; i < full.length(); i++) {
            byte[] b = full.substring(0, i).getBytes(StandardCharsets.ISO_8859_1);
            assertEquals(Status.INCOMPLETE, HttpHead.parse(b, b.length, 8192).status(), "cut at " + i);
        }
    }

    @Test
    void aHeadWithoutItsEndWithinTheLimitIsTooLarge() {
        String big = "GET / HTTP/1.1\r\nX: " + "a".repeat(200);
        byte[] b = big.getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(Status.TOO_LARGE, HttpHead.parse(b, 100, 100).status());
        assertEquals(Status.TOO_LARGE, HttpHead.parse(b, 10, 10).status()); // inside the request line too
        assertEquals(Status.INCOMPLETE, HttpHead.parse(b, 100, 101).status());
    }

    /** What another protocol, or a client steering around the routing, sends: answered 400 at once. */
    @ParameterizedTest
    @ValueSource(strings = {
        "\u0016\u0003\u0001\u0002\u0000\u0001", // a TLS ClientHello
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", // HTTP/2's preface
        "GET /a HTTP/1.1 extra\r\n\r\n",
        "GET  /a HTTP/1.1\r\n\r\n",
        " GET / HTTP/1.1\r\n\r\n",
        "GET /a HTTP/2\r\n\r\n",
        "GET a HTTP/1.1\r\n\r\n",
        "GET /a\u0000b HTTP/1.1\r\n\r\n",
        "GET ftp://h/ HTTP/1.1\r\n\r\n",
        "GET http://user@evil/function/f HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET / HTTP/1.1\r\nno colon here\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\u0001b\r\n\r\n",
        "G\u00e9T / HTTP/1.1\r\n\r\n",
        "GEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEET",
        "GET /a\u0007",
    })
    void notHttpIsSaidAtOnce(String s) {
        HttpHead.Parse p = parse(s);
        assertEquals(Status.NOT_HTTP, p.status(), s);
        assertNull(p.head());
    }
}
