package dev.faaspool.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.HandlerMode;
import dev.faaspool.config.PoolConfig;
import dev.faaspool.config.Scaling;
import dev.faaspool.config.Specs;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@link PoolPlan}'s image roll, decided on views alone: a function whose image reference points at a
 * new ID starts replacements first and retires its idle slots of the old image only as the new ones
 * serve, never below the ready count it had.
 */
class ImageRollPlanTest {
    private static final long NOW = 1_000_000_000_000L;
    private static final String OLD = "sha256:old";
    private static final String NEW = "sha256:new";
    private int nextSlot;

    @Test
    void aNewImageStartsReplacementsFirstAndRetiresNothingYet() {
        FunctionSpec fork = spec(HandlerMode.FORK, 3, 8);
        PoolPlan.Plan p = sweep(view(fork, NEW, warm(OLD), warm(OLD), warm(OLD)));
        assertEquals(List.of(new Decision.Start("hello", 3)), p.decisions());
    }

    @Test
    void oldSlotsRetireOneForEachReplacementThatIsWarm() {
        FunctionSpec fork = spec(HandlerMode.FORK, 3, 8);
        assertEquals(List.of(), sweep(view(fork, NEW, warm(OLD), warm(OLD), warm(OLD),
                starting(NEW), starting(NEW), starting(NEW))).decisions(), "starting ones serve nobody yet");

        List<Decision> one = sweep(view(fork, NEW, warm(OLD), warm(OLD), warm(OLD),
                warm(NEW), starting(NEW), starting(NEW))).decisions();
        assertEquals(1, retired(one, Decision.Why.IMAGE_CHANGED), one.toString());
        assertEquals(0, started(one), "the retired one's replacement is under way already: " + one);

        List<Decision> all = sweep(view(fork, NEW, warm(OLD), warm(OLD), warm(OLD),
                warm(NEW), warm(NEW), warm(NEW))).decisions();
        assertEquals(3, retired(all, Decision.Why.IMAGE_CHANGED), all.toString());
        assertEquals(0, started(all), all.toString());
    }

    @Test
    void aBusyOldSlotGetsAReplacementButIsNotRetiredByThePlan() {
        FunctionSpec fork = spec(HandlerMode.FORK, 2, 8);
        List<Decision> d = sweep(view(fork, NEW, busy(OLD), warm(NEW), warm(NEW))).decisions();
        assertEquals(List.of(), d, "two new ones make the target; the busy one retires when its request ends");

        List<Decision> start = sweep(view(fork, NEW, busy(OLD), warm(OLD))).decisions();
        assertEquals(List.of(new Decision.Start("hello", 2)), start);
    }

    @Test
    void atMaxItRollsOneAtATimeAsTheRoomForItsReplacement() {
        FunctionSpec full = spec(HandlerMode.FORK, 3, 3);
        List<Decision> d = sweep(view(full, NEW, warm(OLD), warm(OLD), warm(OLD))).decisions();
        assertEquals(1, retired(d, Decision.Why.IMAGE_CHANGED), d.toString());
        assertEquals(1, started(d), d.toString());

        assertEquals(List.of(), sweep(view(full, NEW, warm(OLD), warm(OLD), starting(NEW))).decisions(),
                "the next one goes once this replacement is warm");
    }

    @Test
    void oneshotCountsOnlyIdleAndStartingOnes() {
        FunctionSpec oneshot = spec(HandlerMode.ONESHOT, 2, 6);
        assertEquals(List.of(new Decision.Start("hello", 2)),
                sweep(view(oneshot, NEW, warm(OLD), warm(OLD), busy(OLD))).decisions());
        List<Decision> d = sweep(view(oneshot, NEW, warm(OLD), warm(OLD), warm(NEW), warm(NEW))).decisions();
        assertEquals(2, retired(d, Decision.Why.IMAGE_CHANGED), d.toString());
    }

    @Test
    void unknownIdsAndTheSameIdRollNothing() {
        FunctionSpec fork = spec(HandlerMode.FORK, 2, 8);
        assertEquals(List.of(), sweep(view(fork, null, warm(OLD), warm(OLD))).decisions(), "the ID is not known yet");
        assertEquals(List.of(), sweep(view(fork, NEW, warm(null), warm(null))).decisions(),
                "slots created from the reference");
        assertEquals(List.of(), sweep(view(fork, OLD, warm(OLD), warm(OLD))).decisions());
    }

    @Test
    void theReadyCountNeverDropsBelowWhatItWasAsTheRollGoes() {
        // Play the roll: each round, the plan decides, the owner carries it out, one starting slot comes warm.
        FunctionSpec fork = spec(HandlerMode.FORK, 4, 10);
        List<FunctionView.SlotView> slots = new ArrayList<>(List.of(warm(OLD), warm(OLD), warm(OLD), warm(OLD)));
        for (int round = 0; round < 20; round++) {
            List<Decision> d = sweep(view(fork, NEW, slots.toArray(FunctionView.SlotView[]::new))).decisions();
            for (Decision x : d) {
                switch (x) {
                    case Decision.Start s -> {
                        for (int i = 0; i < s.count(); i++) {
                            slots.add(starting(NEW));
                        }
                    }
                    case Decision.Retire r -> slots.removeIf(s -> s.id().equals(r.slot()));
                    case Decision.Retry r -> { }
                }
            }
            assertEquals(true, slots.stream().filter(s -> s.state() == SlotState.WARM).count() >= 4,
                    "round " + round + ": " + slots);
            for (int i = 0; i < slots.size(); i++) { // one comes warm
                if (slots.get(i).state() == SlotState.STARTING) {
                    slots.set(i, new FunctionView.SlotView(slots.get(i).id(), SlotState.WARM, 0, 0, NOW,
                            Long.MAX_VALUE, NEW));
                    break;
                }
            }
        }
        assertEquals(4, slots.size(), slots.toString());
        assertEquals(true, slots.stream().allMatch(s -> s.state() == SlotState.WARM && NEW.equals(s.imageId())),
                slots.toString());
    }

    // ---- helpers ----

    private static FunctionSpec spec(HandlerMode mode, int min, int max) {
        return Specs.function("hello").mode(mode).min(min).max(max).scaling(Scaling.FIXED).build();
    }

    private static PoolPlan.Plan sweep(FunctionView v) {
        return PoolPlan.decide(List.of(v), PoolConfig.Host.DEFAULT, NOW, ZonedDateTime.now(), 0, true);
    }

    private static FunctionView view(FunctionSpec spec, String imageId, FunctionView.SlotView... slots) {
        return new FunctionView(spec.name(), spec, 0, false, 0, spec.pool().min(), new Demand(0).snapshot(NOW), false,
                0, 0, List.of(slots), imageId);
    }

    private FunctionView.SlotView warm(String image) {
        return new FunctionView.SlotView("hello-" + ++nextSlot, SlotState.WARM, 1, 0, NOW, Long.MAX_VALUE, image);
    }

    private FunctionView.SlotView starting(String image) {
        return new FunctionView.SlotView("hello-" + ++nextSlot, SlotState.STARTING, 0, 0, 0, Long.MAX_VALUE, image);
    }

    private FunctionView.SlotView busy(String image) {
        return new FunctionView.SlotView("hello-" + ++nextSlot, SlotState.BUSY, 1, 0, NOW, NOW, image);
    }

    private static long retired(List<Decision> d, Decision.Why why) {
        return d.stream().filter(x -> x instanceof Decision.Retire r && r.why() == why).count();
    }

    private static int started(List<Decision> d) {
        return d.stream().mapToInt(x -> x instanceof Decision.Start s ? s.count() : 0).sum();
    }
}
