package dev.faaspool.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The wake-up's ordering, with the interleavings that lose a wake-up played out on a fake eventfd. */
class WakeUpTest {

    /** An eventfd's counter; {@code onConsume} runs just before the loop's read, as another thread would. */
    private static final class FakeEventFd implements WakeUp.Signal {
        long counter;
        int raised;
        Runnable onConsume = () -> { };

        @Override
        public void raise() {
            counter++;
            raised++;
        }

        @Override
        public void consume() {
            Runnable r = onConsume;
            onConsume = () -> { };
            r.run();
            counter = 0;
        }
    }

    @Test
    void aBurstOfRequestsWritesOnce() {
        FakeEventFd fd = new FakeEventFd();
        WakeUp w = new WakeUp(fd);
        for (int i = 0; i < 100; i++) {
            w.request();
        }
        assertEquals(1, fd.raised);
        w.handled();
        w.request();
        assertEquals(2, fd.raised, "after the loop handled the signal, a request signals again");
    }

    /** The CI failure of EventLoopTest: a request landing while the loop consumes the signal. */
    @Test
    void aRequestRacingTheConsumeLeavesTheNextOneSignalled() {
        FakeEventFd fd = new FakeEventFd();
        WakeUp w = new WakeUp(fd);
        w.request();
        fd.onConsume = w::request; // another thread's task and request, between epoll_wait and read
        w.handled();
        // Its task runs in the loop's runTasks after handled(); then the loop sleeps. The next task
        // must reach it: a signal now, or one still in the counter.
        w.request();
        assertTrue(fd.counter > 0, "a request to a sleeping loop left its eventfd unreadable");
    }
}
