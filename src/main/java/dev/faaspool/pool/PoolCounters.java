package dev.faaspool.pool;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** What happened to one function's containers, counted since start. */
public final class PoolCounters {
    /** Containers that became warm. */
    public final LongAdder started = new LongAdder();
    /** Containers that did not become warm (refused, exited or silent past the start timeout). */
    public final LongAdder startFailures = new LongAdder();
    /** Containers retired after serving: a oneshot request, or max-uses requests. */
    public final LongAdder recycledUsed = new LongAdder();
    /** Warm containers retired after their idle TTL. */
    public final LongAdder recycledIdle = new LongAdder();
    /** Containers removed because a request ran past its timeout. */
    public final LongAdder recycledTimeout = new LongAdder();
    /** Containers retired because they broke: died, did not take a connection, lost their control connection. */
    public final LongAdder recycledFailed = new LongAdder();
    /** Containers replaced because their function's image tag came to point at another image ID. */
    public final LongAdder recycledImage = new LongAdder();
    /** How requests' handlers ended, by cause (every request that a handler took ends one way). */
    public final Map<HandlerExit.Cause, LongAdder> handlerExits = handlerExits();

    private static Map<HandlerExit.Cause, LongAdder> handlerExits() {
        Map<HandlerExit.Cause, LongAdder> m = new EnumMap<>(HandlerExit.Cause.class);
        for (HandlerExit.Cause c : HandlerExit.Cause.values()) {
            m.put(c, new LongAdder());
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
