package dev.faaspool.runtime;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import java.io.Closeable;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the output of every container the runtime starts, from its start to its end, and hands it to
 * a {@link ContainerOutput}.
 *
 * <h2>Why a stream per container</h2>
 * Compared (benchmark/LogCaptureBench.java; the README's Logs section has the numbers) with one read of a
 * container's logs after it stopped, just before its removal: both cost one more request to the engine
 * per container, neither touches the request path, and both were within the noise of a container's own
 * cost (create, start, exit, remove: 4.9 containers/s without capture, 5.4 with either, 25.3 against
 * 25.5 ms of the engine's CPU per container; a oneshot pool served 17.0 requests/s before, 17.2 with the
 * stream). The stream gives what the read cannot: lines of long-lived
 * (fork, persistent) containers as they are written, rather than when the container is recycled, possibly
 * hours later; and lines are taken while the engine still has them, so the engine's own log file of a
 * container can stay small. Its cost is a thread (docker-java's, one per stream, mostly blocked in a read)
 * and a Unix-socket connection per running container, on a client of its own so that the pool's calls
 * never wait for a connection behind the streams.
 *
 * <h2>Ending</h2>
 * A stream ends by itself when its container stops (oneshot: after its request) and the engine has sent
 * everything. {@link #finish} runs before a removal, on the reaper's thread: when the stream has not ended
 * yet, the container is still running, so it is killed first (the forced removal would have killed it
 * anyway, and its last lines with it), then the stream gets a bounded wait to send the rest. A removal
 * waits at most {@link #END_WAIT}; nothing waits for it but the removal (a replacement is started
 * independently, when the slot retires).
 *
 * <h2>The last line</h2>
 * The engine (20.10's json-file follow) ends a follow as the container stops without sending what it
 * wrote to its file at that moment: the copier holds a last line that has no newline until the
 * container's pipe closes, and a follower never gets it (seen with {@code docker logs -f} too). So when a
 * stream ends by itself, what the container wrote since the stream's last frame is read once more without
 * following ({@link #CATCH_UP_WAIT} at most) and given to the same receiver, which drops what it already
 * had by the engine's time ({@code LineAssembler}).
 */
final class DockerLogStreams implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DockerLogStreams.class);
    static final Duration END_WAIT = Duration.ofSeconds(2);
    static final Duration CATCH_UP_WAIT = Duration.ofSeconds(1);

    private final DockerClient streams;
    private final ContainerOutput output;
    private final Map<String, Follow> following = new ConcurrentHashMap<>();

    /** @param streams a client used for these streams only */
    DockerLogStreams(DockerClient streams, ContainerOutput output) {
        this.streams = streams;
        this.output = output;
    }

    /** Starts following container {@code id}, just started; returns at once (the stream runs on its own thread). */
    void follow(String id, String function, String slot) {
        Follow f = new Follow(id, output.open(function, slot, id));
        following.put(id, f);
        try {
            streams.logContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(true)
                    .withTimestamps(true).exec(f);
        } catch (RuntimeException e) {
            log.warn("cannot follow the output of container {}: {}", DockerRuntime.shortId(id), e.getMessage());
            f.onError(e);
        }
    }

    /**
     * Before container {@code id} is removed: makes sure its stream has everything, stopping the container
     * with {@code kill} when it still runs. Bounded by {@link #END_WAIT}.
     */
    void finish(String id, Runnable kill) {
        Follow f = following.remove(id);
        if (f == null) {
            return;
        }
        try {
            if (!f.ended.get()) {
                try {
                    kill.run();
                } catch (RuntimeException e) {
                    log.debug("kill of {} before its removal: {}", DockerRuntime.shortId(id), e.getMessage());
                }
                if (!f.awaitCompletion(END_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.warn("the output of container {} did not end within {} ms of its stop; its last lines may "
                            + "be missing from the function's log", DockerRuntime.shortId(id), END_WAIT.toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(f);
        }
    }

    @Override
    public void close() {
        following.values().forEach(DockerLogStreams::closeQuietly);
        following.clear();
        closeQuietly(streams);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (Exception ignored) {
            // on the way out
        }
    }

    /**
     * One container's stream: frames to its receiver, then its end, once. Not docker-java's
     * {@code ResultCallback.Adapter}, which logs every stream closed on purpose as an error.
     */
    private final class Follow implements ResultCallback<Frame> {
        private final String id;
        private final ContainerOutput.Receiver receiver;
        final AtomicBoolean ended = new AtomicBoolean();
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile Closeable stream;
        private volatile boolean closed;
        /** Wall-clock second of the last frame received: the engine's time of every later one is at least this. */
        private volatile long lastFrameSecond = System.currentTimeMillis() / 1000;

        Follow(String id, ContainerOutput.Receiver receiver) {
            this.id = id;
            this.receiver = receiver;
        }

        @Override
        public void onStart(Closeable stream) {
            this.stream = stream;
            if (closed) {
                closeQuietly(stream);
            }
        }

        @Override
        public void onNext(Frame frame) {
            lastFrameSecond = System.currentTimeMillis() / 1000;
            deliver(frame, false);
        }

        private synchronized void deliver(Frame frame, boolean again) {
            if (!ended.get() && frame.getPayload() != null) {
                boolean stderr = frame.getStreamType() == StreamType.STDERR;
                if (again) {
                    receiver.again(stderr, frame.getPayload());
                } else {
                    receiver.frame(stderr, frame.getPayload());
                }
            }
        }

        @Override
        public void onComplete() {
            end();
        }

        @Override
        public void onError(Throwable t) {
            if (!closed) {
                log.debug("container output stream failed: {}", t.toString());
            }
            end();
        }

        private void end() {
            if (!ended.get() && !closed) {
                catchUp();
            }
            if (ended.compareAndSet(false, true)) {
                try {
                    receiver.end();
                } finally {
                    following.remove(id, this); // ended: its container stopped, or is gone (removed while starting)
                    done.countDown();
                    closeQuietly(stream);
                }
            }
        }

        /** The stream ended with its container: reads what the engine did not send (see "The last line"). */
        private void catchUp() {
            CatchUp more = new CatchUp(this);
            try {
                streams.logContainerCmd(id).withStdOut(true).withStdErr(true).withTimestamps(true)
                        .withSince((int) Math.max(0, lastFrameSecond - 1)).exec(more);
                if (!more.over.await(CATCH_UP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    log.debug("the last output of {} was not read within {} ms", DockerRuntime.shortId(id),
                            CATCH_UP_WAIT.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                log.debug("reading the last output of {}: {}", DockerRuntime.shortId(id), e.toString());
            } finally {
                closeQuietly(more.stream);
            }
        }

        boolean awaitCompletion(long time, TimeUnit unit) throws InterruptedException {
            return done.await(time, unit);
        }

        @Override
        public void close() {
            closed = true;
            Closeable s = stream;
            if (s != null) {
                closeQuietly(s);
            }
        }
    }

    /** One read, without following, of a stopped container's output; its frames go to {@code into}. */
    private static final class CatchUp implements ResultCallback<Frame> {
        private final Follow into;
        final CountDownLatch over = new CountDownLatch(1);
        volatile Closeable stream;

        CatchUp(Follow into) {
            this.into = into;
        }

        @Override
        public void onStart(Closeable stream) {
            this.stream = stream;
        }

        @Override
        public void onNext(Frame frame) {
            into.deliver(frame, true);
        }

        @Override
        public void onError(Throwable t) {
            log.debug("reading the last output of a container: {}", t.toString());
            over.countDown();
        }

        @Override
        public void onComplete() {
            over.countDown();
        }

        @Override
        public void close() {
            closeQuietly(stream);
        }
    }
}
