package dev.faaspool.log;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.Context;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * logback's {@link AsyncAppender} as the request log needs it: callers (event loops) never wait for
 * the writer, a full queue drops the line, and every dropped line is counted.
 *
 * <p>{@code neverBlock} alone drops silently: its queue's {@code offer} fails and nobody knows. So the
 * lines handed on and not yet written are counted here ({@link #inFlight}, one atomic increment per
 * line); a line that would take that count past the queue's size is dropped and counted instead of
 * offered. The count is taken back once the line is written (the single appender the queue feeds
 * wraps the real one), so the queue never holds more than its size and the {@code offer} always takes
 * the line. {@code discardingThreshold} is 0: logback's default drops INFO lines at 80% full, quietly.
 */
final class DroppingAsyncAppender extends AsyncAppender {
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder dropped = new LongAdder();

    /** Feeds {@code target} (started or not; this appender starts and stops it) from a queue of {@code queueSize}. */
    DroppingAsyncAppender(Context context, Appender<ILoggingEvent> target, int queueSize) {
        if (queueSize < 1) {
            throw new IllegalArgumentException("queueSize must be >= 1 (was " + queueSize + ")");
        }
        setContext(context); // first: logback prints what an appender without one reports to standard error
        setName("request-log-async");
        setQueueSize(queueSize);
        setNeverBlock(true);
        setDiscardingThreshold(0);
        setIncludeCallerData(false);
        setMaxFlushTime(2_000);
        Written w = new Written(target);
        w.setContext(context);
        w.setName("request-log-written");
        addAppender(w);
    }

    @Override
    public void start() {
        Appender<ILoggingEvent> w = getAppender("request-log-written");
        w.start();
        super.start();
    }

    @Override
    protected void append(ILoggingEvent e) {
        if (inFlight.incrementAndGet() > getQueueSize()) {
            inFlight.decrementAndGet();
            dropped.increment();
            return;
        }
        super.append(e);
    }

    /** Lines dropped because the queue was full. */
    long dropped() {
        return dropped.sum();
    }

    /** Lines handed on and not yet written. */
    int inFlight() {
        return inFlight.get();
    }

    /** The queue's one appender: writes a line to the real one, then takes it out of {@link #inFlight}. */
    private final class Written extends UnsynchronizedAppenderBase<ILoggingEvent> {
        private final Appender<ILoggingEvent> target;

        Written(Appender<ILoggingEvent> target) {
            this.target = target;
        }

        @Override
        public void start() {
            if (!target.isStarted()) {
                target.start();
            }
            super.start();
        }

        @Override
        public void stop() {
            super.stop();
            target.stop();
        }

        @Override
        protected void append(ILoggingEvent e) {
            try {
                target.doAppend(e);
            } finally {
                inFlight.decrementAndGet();
            }
        }
    }
}
