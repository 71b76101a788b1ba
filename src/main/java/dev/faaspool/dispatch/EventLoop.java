package dev.faaspool.dispatch;

import dev.faaspool.metrics.TaskGuard;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One dispatch thread and its epoll set, in the shape of nginx's worker and Netty's {@code EventLoop}:
 * the loop owns the descriptors registered with it (listening sockets, client connections, control
 * connections) and everything done with them happens on its thread, so none of that state is shared.
 * Other threads hand it work with {@link #execute} (a queue and an eventfd wake-up, one write only when
 * the loop may be asleep).
 *
 * <p>Timers ({@link #schedule}) are absolute deadlines on the {@link #ticker}, kept in a heap and
 * cancelled lazily; the loop sleeps in {@code epoll_wait} until the earliest. Every handler and task
 * runs through the {@link TaskGuard}: one that throws is counted and logged, and the loop goes on.
 */
public final class EventLoop implements Executor, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);
    private static final int MAX_EVENTS = 256;
    /** Size of the loop's scratch buffer: reads of control lines, peeks, answers, drains. */
    public static final int BUFFER = 64 * 1024;

    /** What the loop calls when a registered descriptor is ready. */
    public interface Handler {
        /** {@code events}: the epoll mask ({@link Native#EPOLLIN}, ...). On the loop's thread. */
        void ready(int events);
    }

    /** A pending deadline; {@link #cancel} is cheap and may be called more than once. */
    public static final class Timer implements Comparable<Timer> {
        final long deadline;
        final Runnable action;
        boolean cancelled;

        Timer(long deadline, Runnable action) {
            this.deadline = deadline;
            this.action = action;
        }

        public void cancel() {
            cancelled = true;
        }

        @Override
        public int compareTo(Timer o) {
            return Long.compare(deadline - o.deadline, 0);
        }
    }

    private final String name;
    private final int epfd;
    private final int wakeFd;
    private final LongSupplier ticker;
    private final TaskGuard guard;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final WakeUp wakeUp;
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private Handler[] handlers = new Handler[1024];
    private volatile boolean running = true;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(BUFFER, 8);
    private final CountDownLatch stopped = new CountDownLatch(1);

    public EventLoop(String name, LongSupplier ticker, TaskGuard guard) {
        this.name = name;
        this.ticker = ticker;
        this.guard = guard;
        this.epfd = Native.epollCreate();
        if (epfd < 0) {
            throw new IllegalStateException("epoll_create1: errno " + -epfd);
        }
        this.wakeFd = Native.eventFd();
        if (wakeFd < 0) {
            Native.close(epfd);
            throw new IllegalStateException("eventfd: errno " + -wakeFd);
        }
        Native.epollAdd(epfd, wakeFd, Native.EPOLLIN);
        this.wakeUp = new WakeUp(new WakeUp.Signal() {
            @Override
            public void raise() {
                Native.signal(wakeFd);
            }

            @Override
            public void consume() {
                Native.drainEventFd(wakeFd);
            }
        });
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    public String name() {
        return name;
    }

    /** A scratch buffer for I/O on the loop's thread (only there, and not across calls). */
    public MemorySegment buffer() {
        return buffer;
    }

    /** Monotonic nanoseconds, the loop's clock. */
    public long now() {
        return ticker.getAsLong();
    }

    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} on the loop's thread, soon; from any thread. Tasks run in the order given. */
    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (!inLoop()) {
            wakeUp.request();
        }
    }

    /** Runs {@code action} on the loop at {@code deadlineNanos} (the loop's clock). Loop thread only. */
    public Timer schedule(long deadlineNanos, Runnable action) {
        Timer t = new Timer(deadlineNanos, action);
        timers.add(t);
        return t;
    }

    /** Watches {@code fd}; the loop owns it until {@link #unregister}. Loop thread only. */
    public boolean register(int fd, int events, Handler h) {
        if (fd >= handlers.length) {
            handlers = Arrays.copyOf(handlers, Math.max(fd + 1, handlers.length * 2));
        }
        int r = Native.epollAdd(epfd, fd, events);
        if (r < 0) {
            return false;
        }
        handlers[fd] = h;
        return true;
    }

    /** Changes what {@code fd} is watched for. Loop thread only. */
    public void modify(int fd, int events) {
        Native.epollModify(epfd, fd, events);
    }

    /** Stops watching {@code fd} (it stays open: the caller closes or hands it on). Loop thread only. */
    public void unregister(int fd) {
        if (fd >= 0 && fd < handlers.length && handlers[fd] != null) {
            handlers[fd] = null;
            Native.epollDelete(epfd, fd);
        }
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate((long) MAX_EVENTS * Native.EPOLL_EVENT_SIZE, 8);
            while (running) {
                runTasks();
                int timeout = runTimers();
                if (!running) {
                    break;
                }
                if (!tasks.isEmpty()) {
                    timeout = 0;
                }
                int n = Native.epollWait(epfd, events, MAX_EVENTS, timeout);
                if (n < 0) {
                    if (n != -Native.EINTR) {
                        guard.failed("event-loop", name, new IllegalStateException("epoll_wait: errno " + -n));
                    }
                    continue;
                }
                for (int i = 0; i < n; i++) {
                    int fd = Native.eventFd(events, i);
                    int mask = Native.eventMask(events, i);
                    if (fd == wakeFd) {
                        wakeUp.handled();
                        continue;
                    }
                    Handler h = fd < handlers.length ? handlers[fd] : null;
                    if (h != null) {
                        try {
                            h.ready(mask);
                        } catch (Throwable t) {
                            guard.failed("event-loop", name + " fd " + fd, t);
                        }
                    }
                }
            }
        } catch (Throwable t) {
            log.error("event loop {} stopped", name, t);
        } finally {
            stopped.countDown();
        }
    }

    private void runTasks() {
        Runnable r;
        int budget = 4096; // then epoll again: tasks must not starve I/O
        while (budget-- > 0 && (r = tasks.poll()) != null) {
            try {
                r.run();
            } catch (Throwable t) {
                guard.failed("event-loop", name, t);
            }
        }
    }

    /** Runs due timers; returns how long epoll may sleep, ms (-1: no timer). */
    private int runTimers() {
        while (true) {
            Timer t = timers.peek();
            if (t == null) {
                return -1;
            }
            if (t.cancelled) {
                timers.poll();
                continue;
            }
            long left = t.deadline - ticker.getAsLong();
            if (left > 0) {
                return (int) Math.min(Integer.MAX_VALUE, Math.max(1, (left + 999_999) / 1_000_000));
            }
            timers.poll();
            try {
                t.action.run();
            } catch (Throwable e) {
                guard.failed("event-loop", name + " timer", e);
            }
        }
    }

    /** Stops the loop after the tasks queued so far, and closes its epoll set (not the descriptors in it). */
    @Override
    public void close() {
        execute(() -> running = false);
        if (inLoop()) {
            return;
        }
        boolean done = false;
        try {
            done = stopped.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!done) {
            // Its thread may still be in a handler using the buffer and the epoll set: freeing them
            // under it would be a use after free. A daemon thread; the process exit reclaims both.
            log.warn("event loop {} did not stop within 5 s; its epoll set is left open", name);
            return;
        }
        Native.close(wakeFd);
        Native.close(epfd);
        arena.close();
    }
}
