package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.faaspool.config.Defaults;
import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.HandlerMode;
import dev.faaspool.config.Prewarm;
import dev.faaspool.config.Scaling;
import dev.faaspool.config.Schedule;
import dev.faaspool.config.Specs;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The scaling policy and its inputs, on a fake clock. */
class ScalingPolicyTest {
    private static final long S = 1_000_000_000L;
    /** A Wednesday, 12:00 UTC. */
    private static final ZonedDateTime NOON_WEDNESDAY = ZonedDateTime.of(2026, 11, 25, 12, 0, 0, 0, ZoneOffset.UTC);

    private static FunctionSpec spec(HandlerMode mode, int min, int max, List<Schedule> schedules, Prewarm prewarm) {
        return Specs.function("f").mode(mode).min(min).max(max).maxUses(1000).idleTtl(Duration.ofMinutes(10))
                .schedules(schedules).prewarm(prewarm).build();
    }

    /** Arrivals every {@code gapNanos} from t=0, {@code n} of them; returns the time of the last. */
    private static long steady(Demand d, long gapNanos, int n) {
        long t = 0;
        for (int i = 0; i < n; i++) {
            t = i * gapNanos;
            d.arrival(t);
        }
        return t;
    }

    @Test
    void aSteadyRateReadsAsThatRateOnBothWindows() {
        Demand d = new Demand(0);
        long t = steady(d, S / 10, 18_000); // 10/s for half an hour: six long windows
        Demand.Snapshot s = d.snapshot(t);
        assertEquals(10, s.shortRate(), 0.6);
        assertEquals(10, s.longRate(), 0.6);
    }

    @Test
    void aBurstRaisesTheShortRateAtOnceAndTheLongRateDecaysSlowly() {
        Demand d = new Demand(0);
        for (int i = 0; i < 100; i++) {
            d.arrival(i * S / 100); // 100 requests within one second
        }
        Demand.Snapshot during = d.snapshot(S);
        assertTrue(during.shortRate() > 8, "short window sees the burst: " + during.shortRate());
        Demand.Snapshot later = d.snapshot(61 * S);
        assertTrue(later.shortRate() < 0.05, "a minute later the short window forgot it: " + later.shortRate());
        assertTrue(later.longRate() > 0.1, "the long window still remembers: " + later.longRate());
    }

    @Test
    void littlesLawWithPoissonHeadroom() {
        assertEquals(0, ScalingPolicy.littleLaw(0, 1));
        assertEquals(2, ScalingPolicy.littleLaw(1, 0.5)); // L = 0.5, + 2·√0.5 = 1.91
        assertEquals(29, ScalingPolicy.littleLaw(10, 2)); // L = 20, + 2·√20 = 28.9
        assertEquals(0, ScalingPolicy.littleLaw(1.0 / 300, 0.5), "a trickle asks for no slot of its own");
    }

    @Test
    void oneshotHeadroomIsTheFewestSlotsThatKeepErlangsLossWithinTheColdRisk() {
        assertEquals(0, ScalingPolicy.erlangLoss(0));
        assertEquals(1, ScalingPolicy.erlangLoss(0.01)); // B(1) = 0.0099
        assertEquals(3, ScalingPolicy.erlangLoss(0.24)); // 1 req/s, 240 ms starts: B(2) = 0.0227, B(3) = 0.0018
        for (double l : new double[] {0.05, 0.3, 1, 2.5, 7, 20, 40, 150}) {
            int k = ScalingPolicy.erlangLoss(l);
            assertTrue(erlangB(k, l) <= ScalingPolicy.COLD_RISK && erlangB(k - 1, l) > ScalingPolicy.COLD_RISK,
                    "L = " + l + ": k = " + k + ", B(k) = " + erlangB(k, l) + ", B(k-1) = " + erlangB(k - 1, l));
            assertEquals(erlangB(k, l), ScalingPolicy.erlangB(k, l), 1e-12, "the recurrence, L = " + l);
        }
    }

    /** A function whose containers start in 200 ms and serve in 100 ms. */
    private static Demand.Snapshot startsIn200ServesIn100() {
        Demand d = new Demand(0);
        d.started(S / 5);
        d.served(S / 10);
        return d.snapshot(0);
    }

    @Test
    void aOneshotTargetRisesAtOnceAndDropsOnlyWhenOneFewerRisksLessThanHalfTheBound() {
        FunctionSpec f = spec(HandlerMode.ONESHOT, 0, 50, List.of(), Prewarm.OFF);
        Demand.Snapshot d = startsIn200ServesIn100(); // L = 0.2 · rate
        // L = 0.19: two would do (B(2) = 1.5%), but that is more than half the bound: three stay.
        assertEquals(2, ScalingPolicy.slots(f, d, 0.95, 0));
        assertEquals(3, ScalingPolicy.slots(f, d, 0.95, 3));
        // L = 0.05: B(2) = 0.1%, well within: down to two.
        assertEquals(2, ScalingPolicy.slots(f, d, 0.25, 3));
        // L = 0.24: three are asked for (B(2) = 2.3%), and two rise to three at once; at L = 0.8 (B(2) = 15%), to four.
        assertEquals(3, ScalingPolicy.slots(f, d, 1.2, 2));
        assertEquals(4, ScalingPolicy.slots(f, d, 4, 2));
        assertEquals(0, ScalingPolicy.slots(f, d, 0, 3), "no traffic holds nothing (the keep-alive rule decides)");
    }

    @Test
    void aForkTargetRisesAtOnceAndDropsOnlyWhenOneFewerKeepsHalfAStandardDeviationMore() {
        FunctionSpec f = spec(HandlerMode.FORK, 0, 50, List.of(), Prewarm.OFF);
        Demand.Snapshot d = startsIn200ServesIn100(); // L = 0.1 · rate
        // L = 1.1: L + 2·√L = 3.2 rounds to three; three of four would keep L + 2.5·√L = 3.7 >= 3.5: four stay.
        assertEquals(3, ScalingPolicy.slots(f, d, 11, 0));
        assertEquals(4, ScalingPolicy.slots(f, d, 11, 4));
        // L = 0.3: 1.4 rounds to one; one of two would keep 1.7 >= 1.5: two stay. At L = 0.1 (0.9 < 1.5), one.
        assertEquals(1, ScalingPolicy.slots(f, d, 3, 0));
        assertEquals(2, ScalingPolicy.slots(f, d, 3, 2));
        assertEquals(1, ScalingPolicy.slots(f, d, 1, 2));
        // L = 0.9: 2.8 rounds to three, and two rise to three at once; at L = 2.5 (5.7), four rise to six.
        assertEquals(3, ScalingPolicy.slots(f, d, 9, 2));
        assertEquals(6, ScalingPolicy.slots(f, d, 25, 4));
    }

    @Test
    void steadyTrafficKeepsTheSizeItReachedWhereTheTargetWouldRoundEitherWay() {
        FunctionSpec f = spec(HandlerMode.ONESHOT, 0, 50, List.of(), Prewarm.OFF);
        Demand d = new Demand(0);
        d.started(213 * S / 1000);
        // 1 req/s (1.05 on the short window just after a request) and 213 ms starts: L = 0.224, where Erlang's size
        // goes from two to three (B(2) = 2%).
        long t = steady(d, S, 600);
        int held = ScalingPolicy.target(f, d.snapshot(t), NOON_WEDNESDAY).ready();
        java.util.Set<Integer> unheld = new java.util.TreeSet<>();
        java.util.List<Integer> targets = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) { // the start time wanders by 10% either way
            d.started((i % 4 < 2 ? 192 : 234) * S / 1000);
            t += S;
            d.arrival(t);
            unheld.add(ScalingPolicy.target(f, d.snapshot(t), NOON_WEDNESDAY).ready());
            ScalingPolicy.Target next = ScalingPolicy.target(f, d.snapshot(t), NOON_WEDNESDAY, held);
            assertEquals("demand", next.reason());
            held = next.ready();
            targets.add(held);
        }
        assertEquals(java.util.Set.of(2, 3), unheld, "without the held size the target follows the noise");
        assertEquals(List.of(3), targets.subList(targets.indexOf(3), targets.size()).stream().distinct().toList(),
                "once it reached three it stays: " + targets);
    }

    /** Erlang's loss formula from its definition: (L^k/k!) / Σ_{i<=k} L^i/i!. */
    private static double erlangB(int k, double l) {
        double term = 1, sum = 1;
        for (int i = 1; i <= k; i++) {
            term *= l / i;
            sum += term;
        }
        return term / sum;
    }

    @Test
    void aSteadyOneshotFunctionKeepsTheSecondAndThirdContainerTheNormalApproximationRoundsAway() {
        Demand d = new Demand(0);
        d.started(240 * S / 1000);
        long t = steady(d, S, 600); // 1 req/s for 10 min: L = 0.24
        ScalingPolicy.Target target = ScalingPolicy.target(spec(HandlerMode.ONESHOT, 0, 10, List.of(), Prewarm.OFF),
                d.snapshot(t), NOON_WEDNESDAY);
        assertEquals(new ScalingPolicy.Target(3, "demand"), target);
        assertEquals(1, ScalingPolicy.littleLaw(1, 0.24), "L + 2·√L = 1.22 would have kept one (19% cold)");
    }

    @Test
    void oneshotSlotsAreUnavailableForTheReplacementsStartOthersForTheirService() {
        Demand d = new Demand(0);
        d.served(S / 10);
        d.started(S / 2);
        Demand.Snapshot s = d.snapshot(0);
        assertEquals(0.5, ScalingPolicy.unavailableSeconds(spec(HandlerMode.ONESHOT, 0, 10, List.of(), Prewarm.OFF), s), 1e-9);
        assertEquals(0.1, ScalingPolicy.unavailableSeconds(spec(HandlerMode.FORK, 0, 10, List.of(), Prewarm.OFF), s), 1e-9);
    }

    @Test
    void demandRaisesTheTargetAboveMinAndMaxCapsIt() {
        Demand d = new Demand(0);
        d.served(S / 10);
        d.started(2 * S);
        long t = steady(d, S / 20, 400); // 20/s, W = 2 s (a replacement's start) in oneshot: L = 40
        ScalingPolicy.Target target = ScalingPolicy.target(spec(HandlerMode.ONESHOT, 2, 100, List.of(), Prewarm.OFF),
                d.snapshot(t), NOON_WEDNESDAY);
        assertEquals("demand", target.reason());
        assertEquals(ScalingPolicy.erlangLoss(2 * Math.max(d.snapshot(t).shortRate(), d.snapshot(t).longRate())),
                target.ready());
        assertTrue(target.ready() > 40 && target.ready() <= 50, "L plus headroom: " + target.ready());

        ScalingPolicy.Target capped = ScalingPolicy.target(spec(HandlerMode.ONESHOT, 2, 16, List.of(), Prewarm.OFF),
                d.snapshot(t), NOON_WEDNESDAY);
        assertEquals(16, capped.ready());
        assertEquals("demand, capped at max", capped.reason());
    }

    @Test
    void aFixedPoolIgnoresDemand() {
        Demand d = new Demand(0);
        d.served(S);
        long t = steady(d, S / 20, 400);
        FunctionSpec fixed = Specs.function("f").mode(HandlerMode.FORK).scaling(Scaling.FIXED).min(4).max(100)
                .maxUses(1000).idleTtl(Duration.ofMinutes(10)).build();
        assertEquals(new ScalingPolicy.Target(4, "min"), ScalingPolicy.target(fixed, d.snapshot(t), NOON_WEDNESDAY));
    }

    @Test
    void withoutTrafficTheTargetIsMin() {
        ScalingPolicy.Target t = ScalingPolicy.target(spec(HandlerMode.FORK, 3, 10, List.of(), Prewarm.LEARNED),
                new Demand(0).snapshot(0), NOON_WEDNESDAY);
        assertEquals(new ScalingPolicy.Target(3, "min"), t);
    }

    @Test
    void aScheduleRaisesTheFloorInsideItsWindowOnly() {
        Schedule officeHours = new Schedule(EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), LocalTime.of(8, 0),
                LocalTime.of(18, 0), 30);
        FunctionSpec f = spec(HandlerMode.FORK, 1, 50, List.of(officeHours), Prewarm.OFF);
        Demand.Snapshot none = new Demand(0).snapshot(0);
        assertEquals(new ScalingPolicy.Target(30, "schedule"), ScalingPolicy.target(f, none, NOON_WEDNESDAY));
        assertEquals(1, ScalingPolicy.target(f, none, NOON_WEDNESDAY.withHour(18)).ready(), "18:00 is outside");
        assertEquals(1, ScalingPolicy.target(f, none, NOON_WEDNESDAY.withHour(7).withMinute(59)).ready());
        assertEquals(1, ScalingPolicy.target(f, none, NOON_WEDNESDAY.plusDays(3)).ready(), "Saturday");
    }

    @Test
    void anOvernightScheduleBelongsToTheDayItStarts() {
        Schedule nightly = new Schedule(EnumSet.of(DayOfWeek.FRIDAY), LocalTime.of(22, 0), LocalTime.of(2, 0), 5);
        ZonedDateTime friday = NOON_WEDNESDAY.plusDays(2);
        assertTrue(nightly.covers(friday.withHour(23)));
        assertTrue(nightly.covers(friday.plusDays(1).withHour(1)), "Saturday 01:00 is Friday's night");
        assertFalse(nightly.covers(friday.plusDays(1).withHour(23)), "Saturday 23:00 is not");
        assertFalse(nightly.covers(friday.withHour(1)), "Friday 01:00 is Thursday's night");
    }

    @Test
    void daysParseInTheirShortForms() {
        assertEquals(EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), Schedule.parseDays("mon-fri"));
        assertEquals(EnumSet.of(DayOfWeek.SATURDAY, DayOfWeek.SUNDAY), Schedule.parseDays("sat,sun"));
        assertEquals(EnumSet.of(DayOfWeek.SATURDAY, DayOfWeek.SUNDAY, DayOfWeek.MONDAY), Schedule.parseDays("sat-mon"));
        assertEquals(EnumSet.allOf(DayOfWeek.class), Schedule.parseDays("daily"));
    }

    @Test
    void aPeriodicFunctionIsPreWarmedJustBeforeItsNextCallAndNotKeptPastTheTail() {
        Demand d = new Demand(0);
        d.started(S / 2);
        long last = steady(d, 60 * S, 12); // every minute, an hour's worth of gaps
        FunctionSpec f = spec(HandlerMode.FORK, 0, 10, List.of(), Prewarm.LEARNED);

        assertEquals(0, ScalingPolicy.target(f, d.snapshot(last + 10 * S), NOON_WEDNESDAY).ready(),
                "right after a call the next one is a minute away: nothing kept");
        ScalingPolicy.Target before = ScalingPolicy.target(f, d.snapshot(last + 59 * S), NOON_WEDNESDAY);
        assertEquals(new ScalingPolicy.Target(1, "learned"), before, "pre-warmed ahead of the next call");
        assertEquals(0, ScalingPolicy.target(f, d.snapshot(last + 75 * S), NOON_WEDNESDAY).ready(),
                "past the tail of the idle gaps, released");

        FunctionSpec off = spec(HandlerMode.FORK, 0, 10, List.of(), Prewarm.OFF);
        assertEquals(new ScalingPolicy.Target(1, "keep-alive"),
                ScalingPolicy.target(off, d.snapshot(last + 10 * S), NOON_WEDNESDAY),
                "prewarm: off learns nothing and keeps the container for the idle TTL instead");
    }

    @Test
    void aFunctionJustDeployedHasItsInitialContainerForTheIdleTtlOrUntilItsFirstRequest() {
        Demand d = new Demand(5 * S);
        FunctionSpec f = spec(HandlerMode.ONESHOT, 0, 10, List.of(), Prewarm.LEARNED);
        assertEquals(new ScalingPolicy.Target(Defaults.INITIAL, "deployed"), ScalingPolicy.target(f, d.snapshot(5 * S), NOON_WEDNESDAY));
        assertEquals(new ScalingPolicy.Target(0, "no traffic yet"),
                ScalingPolicy.target(f, d.snapshot(5 * S + 10 * 60 * S), NOON_WEDNESDAY), "not called within the idle TTL");
        d.arrival(6 * S);
        assertEquals("keep-alive", ScalingPolicy.target(f, d.snapshot(7 * S), NOON_WEDNESDAY).reason(),
                "once called, its traffic decides");
    }

    @Test
    void aRecentlyCalledFunctionKeepsOneContainerForTheIdleTtl() {
        Demand d = new Demand(0);
        d.arrival(0);
        FunctionSpec f = spec(HandlerMode.FORK, 0, 10, List.of(), Prewarm.LEARNED);
        assertEquals(new ScalingPolicy.Target(1, "keep-alive"), ScalingPolicy.target(f, d.snapshot(60 * S), NOON_WEDNESDAY));
        assertEquals(0, ScalingPolicy.target(f, d.snapshot(11 * 60 * S), NOON_WEDNESDAY).ready(), "past the 10 min TTL");
    }

    @Test
    void tooFewIdleGapsAreNotTrusted() {
        Demand d = new Demand(0);
        long last = steady(d, 60 * S, ScalingPolicy.LEARNED_SAMPLES); // one gap short
        assertFalse(ScalingPolicy.learnedWindowOpen(d.snapshot(last + 59 * S)));
    }

    @Test
    void idleSlotsRetireOnlyAboveTheTargetAndAfterAGrace() {
        FunctionSpec f = spec(HandlerMode.FORK, 1, 10, List.of(), Prewarm.OFF);
        Demand.Snapshot none = new Demand(0).snapshot(0);
        ScalingPolicy.Target one = new ScalingPolicy.Target(1, "min");
        long grace = ScalingPolicy.EXCESS_GRACE.toNanos();
        assertFalse(ScalingPolicy.mayRetireIdle(f, none, 1, one, f.pool().idleTtl().toNanos() * 2), "at the target: kept");
        assertFalse(ScalingPolicy.mayRetireIdle(f, none, 3, one, grace - 1), "above it, but not idle long enough");
        assertTrue(ScalingPolicy.mayRetireIdle(f, none, 3, one, grace));
    }

    @Test
    void aTrustedLearnedPatternReleasesIdleSlotsOnceAPauseBeginsWithoutWaitingForTheTtl() {
        Demand d = new Demand(0);
        long last = steady(d, 60 * S, 12);
        FunctionSpec f = spec(HandlerMode.FORK, 0, 10, List.of(), Prewarm.LEARNED);
        ScalingPolicy.Target none = new ScalingPolicy.Target(0, "min");
        assertFalse(ScalingPolicy.mayRetireIdle(f, d.snapshot(last + 5 * S), 1, none, 5 * S),
                "5 s of silence may be a gap within traffic: the grace applies");
        assertTrue(ScalingPolicy.mayRetireIdle(f, d.snapshot(last + 10 * S), 1, none, 10 * S), "a pause: released");
    }

    @Test
    void onlySilencesOfAtLeastThePauseAreLearned() {
        Demand d = new Demand(0);
        steady(d, S, 100); // a request a second: no pause
        assertEquals(0, d.snapshot(100 * S).pauses());
        d.arrival(99 * S + Demand.PAUSE.toNanos());
        Demand.Snapshot s = d.snapshot(120 * S);
        assertEquals(1, s.pauses());
        assertEquals(Demand.PAUSE.toSeconds(), s.pauseP5Seconds(), 0.1);
    }

    /** Bursts of 20 req/s for 2 min, then 8 min of silence, {@code bursts} times; returns the last arrival. */
    private static long onOff(Demand d, int bursts) {
        long t = 0;
        for (int b = 0; b < bursts; b++) {
            long burstStart = b * 600 * S;
            for (int i = 0; i < 2400; i++) {
                t = burstStart + i * S / 20;
                d.arrival(t);
            }
        }
        return t;
    }

    @Test
    void aFunctionCalledInBurstsGoesToZeroInItsPausesAndIsPreWarmedToTheBurstsSizeBeforeTheNext() {
        Demand d = new Demand(0);
        d.served(S / 4); // 250 ms a request: at 20 req/s, L = 5
        d.started(S / 4);
        long last = onOff(d, 7);
        FunctionSpec f = spec(HandlerMode.FORK, 0, 50, List.of(), Prewarm.LEARNED);
        int burst = ScalingPolicy.littleLaw(20, 0.25);

        assertEquals("demand", ScalingPolicy.target(f, d.snapshot(last + S), NOON_WEDNESDAY).reason(),
                "a second of silence: still the burst's demand");
        ScalingPolicy.Target paused = ScalingPolicy.target(f, d.snapshot(last + 60 * S), NOON_WEDNESDAY);
        assertEquals(0, paused.ready(), "in the pause, the long-window rate does not keep containers: " + paused);
        ScalingPolicy.Target ahead = ScalingPolicy.target(f, d.snapshot(last + 470 * S), NOON_WEDNESDAY);
        assertEquals("learned", ahead.reason());
        assertEquals(burst, ahead.ready(), 1, "the size the last burst needed, before the next one");

        FunctionSpec withMin = spec(HandlerMode.FORK, 2, 50, List.of(), Prewarm.LEARNED);
        assertEquals(new ScalingPolicy.Target(2, "min"), ScalingPolicy.target(withMin, d.snapshot(last + 60 * S), NOON_WEDNESDAY));
        assertEquals(ahead, ScalingPolicy.target(withMin, d.snapshot(last + 470 * S), NOON_WEDNESDAY),
                "min is a floor, not a replacement for pre-warming");
    }

    /**
     * A burst of {@code n} requests from {@code t0}, one every 100 ms, that found {@code ready} containers
     * warm at its start and got no new one before its request {@code refillFrom}, then one per request.
     * Returns the time of its last request.
     */
    private static long burst(Demand d, long t0, int n, int ready, int refillFrom) {
        int warm = ready, waiting = 0;
        for (int i = 0; i < n; i++) {
            d.arrival(t0 + i * S / 10, warm, 0, waiting);
            if (warm > 0 && waiting == 0) {
                warm--;
            } else {
                waiting++;
            }
            if (i >= refillFrom) { // a container started: it serves the longest-waiting request, or waits itself
                if (waiting > 0) {
                    waiting--;
                } else {
                    warm++;
                }
            }
        }
        return t0 + (n - 1) * S / 10;
    }

    @Test
    void aBurstNeedsWhatItHadReadyPlusTheMostRequestsThatWaitedLessWhatItNeverUsed() {
        Demand d = new Demand(0);
        long t = burst(d, 0, 20, 3, 10); // 3 ready, the first start done after the 11th request: 8 waited
        assertEquals(11, d.snapshot(t + S).burstNeed());
        Demand spare = new Demand(0);
        t = burst(spare, 0, 20, 12, 5); // 12 ready, 6 used before the first start was done: 6 never used
        assertEquals(6, spare.snapshot(t + S).burstNeed());
        Demand longBurst = new Demand(0);
        t = burst(longBurst, 0, 20, 3, 10);
        for (int i = 1; i <= 60; i++) { // then a request a second: one to spare until 30 s, then ever more waiting
            boolean past = t + i * S > Demand.BURST_HORIZON.toNanos();
            longBurst.arrival(t + i * S, past ? 0 : 1, 0, past ? 10 + i : 0);
        }
        assertEquals(11, longBurst.snapshot(t + 61 * S).burstNeed(),
                "measured on the burst's first " + Demand.BURST_HORIZON.toSeconds() + " s: what a pre-warm can serve");
        Demand unknown = new Demand(0);
        unknown.arrival(0);
        assertEquals(0, unknown.snapshot(S).burstNeed(), "the pool's containers not reported: no estimate");
    }

    @Test
    void theBurstNeedIsTheMostOfTheLastBurstsSoAnOldLargeOneIsForgotten() {
        Demand d = new Demand(0);
        long t = burst(d, 0, 20, 0, 20); // nothing ready, nothing started: 20
        for (int b = 1; b < Demand.BURSTS; b++) {
            t = burst(d, t + 60 * S, 20, 4, 0); // a start done after each request: one ready was enough
        }
        assertEquals(20, d.snapshot(t + S).burstNeed(), "still one of the last " + Demand.BURSTS);
        t = burst(d, t + 60 * S, 20, 4, 0);
        assertEquals(1, d.snapshot(t + S).burstNeed());
    }

    @Test
    void aOneshotFunctionIsPreWarmedBeforeItsBurstWithWhatItsLastBurstsNeeded() {
        Demand d = new Demand(0);
        d.started(S / 2);
        long t = -60 * S;
        for (int b = 0; b < ScalingPolicy.LEARNED_SAMPLES + 1; b++) {
            t = burst(d, t + 60 * S, 30, 2, 5); // a minute apart: 30 requests in 3 s, the engine 5 behind
        }
        Demand.Snapshot ahead = d.snapshot(t + 55 * S);
        assertEquals(6, ahead.burstNeed());
        assertTrue(ScalingPolicy.erlangLoss(ahead.rateAtLast() * ahead.startSeconds()) < 6,
                "the rate after the burst, on the start time, asks for fewer: " + ahead);
        assertEquals(new ScalingPolicy.Target(6, "learned burst"),
                ScalingPolicy.target(spec(HandlerMode.ONESHOT, 0, 16, List.of(), Prewarm.LEARNED), ahead, NOON_WEDNESDAY));
        assertEquals("learned", ScalingPolicy.target(spec(HandlerMode.FORK, 0, 16, List.of(), Prewarm.LEARNED), ahead,
                NOON_WEDNESDAY).reason(), "a fork container comes back: Little's law on its service time decides");
    }

    @Test
    void aPeriodicOneshotFunctionIsPreWarmedWithTheOneContainerItsCallsNeeded() {
        Demand d = new Demand(0);
        d.started(240 * S / 1000);
        long t = 0;
        for (int i = 0; i <= ScalingPolicy.LEARNED_SAMPLES; i++) {
            t = i * 60 * S;
            d.arrival(t, 1, 0, 0); // each call finds the one container pre-warmed for it
        }
        Demand.Snapshot ahead = d.snapshot(t + 55 * S);
        assertEquals(2, ScalingPolicy.erlangLoss(ahead.rateAtLast() * ahead.startSeconds()),
                "one call reads as 0.1 req/s after it, which would ask for two");
        assertEquals(new ScalingPolicy.Target(1, "learned burst"),
                ScalingPolicy.target(spec(HandlerMode.ONESHOT, 0, 16, List.of(), Prewarm.LEARNED), ahead, NOON_WEDNESDAY));
    }
}
