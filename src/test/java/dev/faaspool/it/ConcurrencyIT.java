package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code concurrency: 4} on real containers: one persistent container of each SDK serves four
 * connections at once (its handlers hold them, waiting for the rest of their request heads), a fifth
 * waits for one of them to end, and each client gets its whole answer.
 */
class ConcurrencyIT {
    private static final String HEAD_START = "GET / HTTP/1.1\r\nHost: x\r\n";
    @TempDir
    Path work;
    private PoolProcess pool;
    private final Functions functions = new Functions();
    private final List<Socket> clients = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Socket s : clients) {
            s.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    private Socket partialRequest() throws IOException {
        Socket s = new Socket();
        s.connect(functions.address("fn"), 5_000);
        s.setSoTimeout(20_000);
        s.getOutputStream().write(HEAD_START.getBytes(StandardCharsets.US_ASCII)); // the handler waits for the rest
        clients.add(s);
        return s;
    }

    private static String finish(Socket s) throws IOException {
        s.getOutputStream().write("\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "go, faas-example-go-persistent:latest, Hello from Go!",
        "python, faas-example-python-persistent:latest, Hello from my function!",
        "java, faas-example-java-persistent:latest, Hello from Java!",
    })
    void oneContainerServesFourConnectionsAtOnce(String sdk, String image, String answer) throws Exception {
        pool = functions.start(work, "conc-" + sdk, Map.of("fn", """
                image: %s
                mode: persistent
                concurrency: 4
                pool: { min: 1, max: 1, scaling: fixed }
                timeouts: { acquire: 30s }
                """.formatted(image)));
        List<Socket> four = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            four.add(partialRequest());
        }
        JsonNode f = pool.awaitFunction("fn", s -> s.get("running").asInt() == 4, Duration.ofSeconds(20));
        assertEquals(1, f.get("busy").asInt(), "one container runs all four: " + f);
        assertEquals(0, f.get("waiting").asInt(), f.toString());
        Socket fifth = partialRequest();
        f = pool.awaitFunction("fn", s -> s.get("waiting").asInt() == 1, Duration.ofSeconds(20));
        assertEquals(4, f.get("running").asInt(), "the fifth waits: the container runs as many as it may: " + f);

        String r = finish(four.get(2));
        assertTrue(r.matches("(?s)HTTP/1\\.[01] 200 .*") && r.contains(answer), r);
        pool.awaitFunction("fn", s -> s.get("waiting").asInt() == 0 && s.get("running").asInt() == 4,
                Duration.ofSeconds(20)); // the fifth took its place
        for (Socket s : List.of(four.get(0), fifth, four.get(3), four.get(1))) {
            r = finish(s);
            assertTrue(r.matches("(?s)HTTP/1\\.[01] 200 .*") && r.contains(answer), r);
        }
        f = pool.awaitFunction("fn", s -> s.get("running").asInt() == 0 && s.get("warm").asInt() == 1,
                Duration.ofSeconds(20));
        assertEquals(5, f.get("requests").get("warm").asInt(), f.toString());
    }
}
