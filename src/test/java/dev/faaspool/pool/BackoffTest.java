package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10));

    @Test
    void noFailuresMeansNoDelay() {
        assertEquals(Duration.ZERO, backoff.delay(0));
        assertEquals(Duration.ZERO, backoff.delay(-3));
        assertEquals(Duration.ZERO, Backoff.DEFAULT.delay(0));
    }

    @Test
    void theDelayDoublesFromInitialWithEachFailure() {
        assertEquals(Duration.ofMillis(100), backoff.delay(1));
        assertEquals(Duration.ofMillis(200), backoff.delay(2));
        assertEquals(Duration.ofMillis(400), backoff.delay(3));
        assertEquals(Duration.ofMillis(800), backoff.delay(4));
        assertEquals(Duration.ofMillis(6400), backoff.delay(7));
    }

    @Test
    void theDelayIsCappedAtMax() {
        assertEquals(Duration.ofSeconds(10), backoff.delay(8)); // 12.8 s without the cap
        assertEquals(Duration.ofSeconds(10), backoff.delay(20));
    }

    @Test
    void theDefaultStartsAt200MillisAndStopsAt30Seconds() {
        assertEquals(Duration.ofMillis(200), Backoff.DEFAULT.delay(1));
        assertEquals(Duration.ofMillis(400), Backoff.DEFAULT.delay(2));
        assertEquals(Duration.ofSeconds(30), Backoff.DEFAULT.delay(9)); // 51.2 s without the cap
    }

    @Test
    void manyFailuresDoNotOverflowPastTheCap() {
        assertEquals(Duration.ofSeconds(30), Backoff.DEFAULT.delay(1000));
        assertEquals(Duration.ofSeconds(30), Backoff.DEFAULT.delay(Integer.MAX_VALUE));
        // 10 s << 30 does not fit in a long of nanoseconds.
        Backoff slow = new Backoff(Duration.ofSeconds(10), Duration.ofDays(365));
        assertEquals(Duration.ofDays(365), slow.delay(1000));
    }

    @Test
    void theDelayNeverShrinksAsFailuresAddUp() {
        Duration previous = Duration.ZERO;
        for (int failures = 0; failures <= 1000; failures++) {
            Duration d = Backoff.DEFAULT.delay(failures);
            assertTrue(d.compareTo(previous) >= 0, "delay(" + failures + ") = " + d + " < " + previous);
            assertTrue(d.compareTo(Backoff.DEFAULT.max()) <= 0, "delay(" + failures + ") = " + d);
            previous = d;
        }
    }

    @Test
    void initialMayEqualMax() {
        Backoff constant = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertEquals(Duration.ofSeconds(1), constant.delay(1));
        assertEquals(Duration.ofSeconds(1), constant.delay(5));
    }

    @Test
    void theConstructorRejectsANonPositiveInitial() {
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
        assertEquals("backoff needs 0 < initial <= max (was PT0S, PT1S)", zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofMillis(-1), Duration.ofSeconds(1)));
    }

    @Test
    void theConstructorRejectsMaxBelowInitial() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertEquals("backoff needs 0 < initial <= max (was PT2S, PT1S)", e.getMessage());
    }
}
