package dev.faaspool.admin;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.pool.PoolSnapshot;
import java.util.List;

/**
 * What this node tells an HAProxy {@code agent-check}: one line, decided from the pools alone (no I/O, no
 * clock), so that every state has a test.
 *
 * <p>HAProxy's agent protocol: on each check it connects, reads one ASCII line and applies its words.
 * A weight {@code N%} scales the server's configured {@code weight}, so between nodes of equal weight
 * HAProxy's share of new connections follows the capacity each reports. The words used here:
 * <ul>
 *   <li>{@code up ready N%} while serving: {@code up} revives a server an earlier {@code down} marked,
 *       {@code ready} ends an earlier {@code drain} (a restarted node must not stay drained), and N is
 *       the free warm capacity: connections the warm containers could take at once (idle warm ones,
 *       and the spare concurrency of busy persistent ones), as a share of the pools' minimum warm
 *       capacity ({@code min} x {@code concurrency}, at least one container each). An idle node at its
 *       minimum says 100%; a node whose pools are exhausted, 1% while a request sent there would wait
 *       for a container that frees or starts (HAProxy treats 0% as drain; a node that serves, if later, keeps 1).
 *   <li>{@code drain} from the moment shutdown begins ({@code --drain-delay}): no new connections,
 *       those already sent are served.
 *   <li>{@code down #...} when no function can take a request: nothing warm is free, no busy container
 *       will be free again (a oneshot container is used up), none is starting and none can start (every
 *       pool at its {@code max}, or the Docker engine failing): a connection sent here could only wait out
 *       the acquire timeout and get 503. A node merely busy is not down: under load every container is
 *       busy much of the time, and a node marked down for it would leave its peers alone with the load.
 * </ul>
 */
public final class AgentReply {
    private AgentReply() {}

    /** The node's phase, as shutdown moves it on. */
    public enum Phase { SERVING, DRAINING }

    /**
     * The line to send, newline included.
     *
     * @param phase        whether shutdown has begun
     * @param engineStarts whether a container can be started now (the engine's circuit breaker lets calls through)
     * @param pools        one snapshot per function served
     */
    public static String decide(Phase phase, boolean engineStarts, List<PoolSnapshot> pools) {
        if (phase == Phase.DRAINING) {
            return "drain\n";
        }
        long free = 0;
        long minimum = 0;
        boolean comingFree = false;
        for (PoolSnapshot p : pools) {
            FunctionSpec f = p.spec();
            int concurrency = f.concurrency();
            free += freeConnections(p, concurrency);
            minimum += (long) Math.max(1, f.pool().min()) * concurrency;
            // A request sent now waits for a container that frees or starts: still an answer, not a down.
            if (p.starting() > 0 || p.busy() > 0 && f.mode().reusesContainers()
                    || engineStarts && p.warm() + p.busy() + p.starting() < f.pool().max()) {
                comingFree = true;
            }
        }
        if (free == 0 && !comingFree) {
            return pools.isEmpty() ? "down #no function is served\n"
                    : "down #no function can take a request: nothing warm is free, nothing frees or starts\n";
        }
        long percent = minimum == 0 ? 100 : Math.round(100.0 * free / minimum);
        return "up ready " + Math.max(1, Math.min(100, percent)) + "%\n";
    }

    /**
     * Connections {@code p}'s warm containers could take now: an idle container takes {@code concurrency};
     * a busy one that reuses its container, what its running requests leave of it (a oneshot container is
     * used up by its request). Less the requests already waiting for a container.
     */
    static long freeConnections(PoolSnapshot p, int concurrency) {
        long takes = (long) p.warm() * concurrency;
        if (p.spec().mode().reusesContainers()) {
            takes = (long) (p.warm() + p.busy()) * concurrency - p.running();
        }
        return Math.max(0, takes - p.waiting()); // requests already waiting take what frees first
    }
}
