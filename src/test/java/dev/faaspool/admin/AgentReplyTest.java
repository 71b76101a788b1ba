package dev.faaspool.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.faaspool.admin.AgentReply.Phase;
import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.HandlerMode;
import dev.faaspool.config.Specs;
import dev.faaspool.pool.PoolSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentReplyTest {
    private static final FunctionSpec FORK = Specs.function("f").mode(HandlerMode.FORK).min(4).max(8).build();
    private static final FunctionSpec ONESHOT = Specs.function("o").mode(HandlerMode.ONESHOT).min(4).max(4).build();
    private static final FunctionSpec PERSISTENT = Specs.function("p").mode(HandlerMode.PERSISTENT).concurrency(4)
            .min(2).max(2).build();

    private static PoolSnapshot pool(FunctionSpec f, int starting, int warm, int busy, int waiting, int running) {
        return new PoolSnapshot(f, starting, warm, busy, waiting, running, f.pool().min(), "test");
    }

    @Test
    void anIdleNodeAtItsMinimumSaysFullWeightAndEndsAnEarlierDrain() {
        assertEquals("up ready 100%\n", AgentReply.decide(Phase.SERVING, true, List.of(pool(FORK, 0, 4, 0, 0, 0))));
    }

    @Test
    void theWeightIsTheFreeWarmCapacityOverTheMinimum() {
        // 3 of 4 fork containers busy: 1 free of the minimum 4.
        assertEquals("up ready 25%\n", AgentReply.decide(Phase.SERVING, true, List.of(pool(FORK, 0, 1, 3, 0, 3))));
        // Two functions: 1 free fork container + 5 free persistent connections (8 - 3) of 4 + 8.
        assertEquals("up ready 50%\n", AgentReply.decide(Phase.SERVING, true,
                List.of(pool(FORK, 0, 1, 3, 0, 3), pool(PERSISTENT, 0, 1, 1, 0, 3))));
    }

    @Test
    void moreWarmThanTheMinimumIsStillAtMostFullWeight() {
        assertEquals("up ready 100%\n", AgentReply.decide(Phase.SERVING, true, List.of(pool(FORK, 0, 8, 0, 0, 0))));
    }

    @Test
    void busyOneshotContainersAreUsedUpAndWaitingRequestsTakeWhatIsFree() {
        assertEquals("up ready 25%\n", AgentReply.decide(Phase.SERVING, true, List.of(pool(ONESHOT, 3, 1, 3, 0, 3))));
        // 2 warm, 1 request already waiting for one: 1 free of 4.
        assertEquals("up ready 25%\n", AgentReply.decide(Phase.SERVING, true, List.of(pool(ONESHOT, 0, 2, 2, 1, 2))));
    }

    @Test
    void anExhaustedNodeThatCanStillStartAContainerKeepsTheLeastWeight() {
        // Nothing free, but 4 of 8 fork containers: a fifth can start. 0% would mean drain to HAProxy.
        assertEquals("up ready 1%\n", AgentReply.decide(Phase.SERVING, true, List.of(pool(FORK, 0, 0, 4, 2, 4))));
    }

    @Test
    void nothingFreeNothingFreeingAndNothingToStartIsDown() {
        // Oneshot at max: its busy containers are used up, none starts.
        String down = AgentReply.decide(Phase.SERVING, true, List.of(pool(ONESHOT, 0, 0, 4, 3, 4)));
        assertEquals("down #no function can take a request: nothing warm is free, nothing frees or starts\n", down);
        // Oneshot below max, but the engine is failing: nothing can start either.
        FunctionSpec roomy = Specs.function("r").mode(HandlerMode.ONESHOT).min(2).max(8).build();
        assertEquals(down, AgentReply.decide(Phase.SERVING, false, List.of(pool(roomy, 0, 0, 4, 0, 4))));
        assertEquals("down #no function is served\n", AgentReply.decide(Phase.SERVING, true, List.of()));
    }

    @Test
    void aNodeMerelyBusyIsNotDown() {
        // Every fork container busy, at max, the engine failing even: each comes back after its request.
        FunctionSpec full = Specs.function("f").mode(HandlerMode.FORK).min(4).max(4).build();
        assertEquals("up ready 1%\n", AgentReply.decide(Phase.SERVING, false, List.of(pool(full, 0, 0, 4, 9, 4))));
        // Oneshot at max with a replacement starting: it will be warm in a moment.
        assertEquals("up ready 1%\n", AgentReply.decide(Phase.SERVING, false, List.of(pool(ONESHOT, 1, 0, 3, 2, 3))));
    }

    @Test
    void aFailingEngineLeavesTheWarmContainersServing() {
        assertEquals("up ready 50%\n", AgentReply.decide(Phase.SERVING, false, List.of(pool(FORK, 0, 2, 0, 0, 0))));
    }

    @Test
    void drainingSaysDrainWhateverThePoolsHave() {
        assertEquals("drain\n", AgentReply.decide(Phase.DRAINING, true, List.of(pool(FORK, 0, 4, 0, 0, 0))));
        assertEquals("drain\n", AgentReply.decide(Phase.DRAINING, false, List.of()));
    }

    @Test
    void aPoolWithMinimumZeroCountsAsOneContainer() {
        FunctionSpec zero = Specs.function("z").mode(HandlerMode.FORK).min(0).max(2).build();
        assertEquals("up ready 1%\n", AgentReply.decide(Phase.SERVING, true, List.of(pool(zero, 0, 0, 0, 0, 0))));
        assertEquals("up ready 100%\n", AgentReply.decide(Phase.SERVING, true, List.of(pool(zero, 0, 1, 0, 0, 0))));
    }
}
