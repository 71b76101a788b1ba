package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.PoolConfig;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What to start, retire or replace, and why: a pure function of the functions' {@link FunctionView}s, the
 * host's budget and the time (fission's rule for its pool manager: no I/O, no clock read, no state kept).
 * The {@link Pool}'s owner takes the views, asks the plan, and carries its {@link Decision}s out.
 *
 * <h2>The rules</h2>
 * <ul>
 *   <li>Each function's target of ready slots is the {@link ScalingPolicy}'s.</li>
 *   <li>A sweep (the owner's periodic tick) looks at every slot: one whose request is past
 *       {@code timeouts.request} is removed (that stops the handler); an idle one retires when its definition
 *       is superseded or its function drained, when it is close to {@code max-uses} and the others make the
 *       target without it ({@link #recycleAhead}), or when the policy lets it go
 *       ({@link ScalingPolicy#mayRetireIdle}). Counts are updated as slots go, so the last ones of a target
 *       stay.</li>
 *   <li>Then each function gets what {@link #toStart} says it lacks, in an order that puts those
 *       below their minimum first and otherwise turns with {@code round}, so that none always comes first to
 *       the memory budget. While starts fail, one start at a time, none before the backoff's time.</li>
 *   <li>An image rolls: when a function's image reference comes to point at another image ID, its slots of
 *       the old one are stale. They count as gone for {@link #toStart}, so their replacements start first,
 *       within {@code max}; a sweep retires a stale idle slot only while the others still make the ready
 *       target without it (so the warm count does not drop below what it was as the replacements come
 *       warm), except at {@code max} with nothing starting: there, one at a time, as the room for its
 *       replacement. A stale busy slot finishes its request, then retires ({@link FunctionPool}).</li>
 *   <li>Within {@code memory-budget}: a function whose requests wait may take idle containers of other
 *       functions above their minimum, those warm longest first; a target alone may not (two functions
 *       pre-warming against each other would trade containers forever).</li>
 * </ul>
 */
final class PoolPlan {
    private PoolPlan() {}

    /** The targets decided, by function key, and what to do, in order. */
    record Plan(Map<String, ScalingPolicy.Target> targets, List<Decision> decisions) {}

    /**
     * @param views every function, draining ones included, in the pool's order
     * @param now   the ticker time the views were taken at
     * @param wall  the wall time then, in the host's zone (for schedules)
     * @param round how many plans came before this one
     * @param sweep whether to look at each slot too (the periodic tick), not only size the pools
     */
    static Plan decide(List<FunctionView> views, PoolConfig.Host host, long now, ZonedDateTime wall, long round,
            boolean sweep) {
        List<Decision> out = new ArrayList<>();
        Map<String, ScalingPolicy.Target> targets = new LinkedHashMap<>();
        List<Tally> tallies = new ArrayList<>();
        for (FunctionView v : views) {
            Tally t = new Tally(v, ScalingPolicy.target(v.spec(), v.demand(), wall, v.heldTarget()));
            targets.put(v.key(), t.target);
            tallies.add(t);
            if (sweep) {
                sweep(t, now, out);
            }
        }
        List<Tally> order = new ArrayList<>(tallies);
        Collections.rotate(order, (int) (round % Math.max(1, order.size())));
        order.sort(Comparator.comparing((Tally t) -> t.ready() >= t.spec.pool().min()));
        boolean budgeted = host.memoryBudget() > 0;
        long used = 0;
        if (budgeted) {
            for (Tally t : tallies) {
                used = Saturating.add(used, t.memory());
            }
        }
        for (Tally t : order) {
            int n = t.wanted();
            if (n == 0) {
                continue;
            }
            if (t.view.consecutiveFailures() > 0) {
                long wait = t.view.notBeforeNanos() - now;
                if (wait > 0) {
                    out.add(new Decision.Retry(t.view.key(), wait));
                    continue;
                }
                n = Math.min(n, 1 - t.starting); // probe with one start at a time while failing
            }
            long each = t.spec.limits().memoryBytes();
            if (budgeted) {
                long free = host.memoryBudget() - used;
                if (free < Saturating.multiply(n, each) && t.view.waiting() > 0) {
                    long need = Saturating.multiply(Math.min(n, t.view.waiting()), each) - free;
                    free = Saturating.add(free, reclaim(tallies, t, need, out));
                }
                n = (int) Math.max(0, Math.min(n, free / each));
            }
            if (n > 0) {
                out.add(new Decision.Start(t.view.key(), n));
                t.starting += n;
                used = Saturating.add(used, Saturating.multiply(n, each));
            }
        }
        return new Plan(targets, List.copyOf(out));
    }

    /**
     * Fork and persistent modes: how many uses before {@code max-uses} a container's replacement starts,
     * so that no request waits for a container being recycled. Half a percent of its life, at least one.
     */
    static int recycleAhead(int maxUses) {
        return Math.max(1, maxUses / 200);
    }

    /**
     * Whether a container that served {@code uses} requests is within {@link #recycleAhead} uses of being
     * recycled: its replacement may start. Never before its first use, so that a new slot is never expiring
     * (with a tiny {@code max-uses}, each replacement would otherwise call for another).
     */
    static boolean expiring(FunctionSpec spec, int uses) {
        int maxUses = spec.pool().maxUses();
        return spec.mode().reusesContainers() && uses > 0 && uses >= maxUses - recycleAhead(maxUses);
    }

    /**
     * How many containers to start: enough for the target and for the requests waiting, within
     * {@code max} containers in all.
     * <ul>
     *   <li>oneshot: a used container never comes back, so the target counts starting and warm ones,
     *       and each waiting request needs one more;
     *   <li>fork, persistent: busy containers come back, so the target counts them too, and waiting
     *       requests need containers beyond the busy ones (none beyond, when a busy one usually frees
     *       sooner than a container starts), one for each {@code concurrency} of them (requests wait
     *       only when every busy container runs as many as it may). The {@code expiring} ones, about to
     *       be recycled, count as gone: their replacements start ahead.
     * </ul>
     */
    static int toStart(FunctionSpec spec, int target, int waiting, boolean busyFreesSoonerThanAStart, int starting,
            int warm, int busy, int expiring) {
        return toStart(spec, target, waiting, busyFreesSoonerThanAStart, starting, warm, busy, expiring, 0);
    }

    /**
     * As {@link #toStart(FunctionSpec, int, int, boolean, int, int, int, int)}, with {@code stale} of the
     * slots counted (of an image the function's reference no longer points at, and not expiring) counting
     * as gone too: their replacements start ahead, within {@code max}.
     */
    static int toStart(FunctionSpec spec, int target, int waiting, boolean busyFreesSoonerThanAStart, int starting,
            int warm, int busy, int expiring, int stale) {
        int short_;
        if (spec.mode().reusesContainers()) {
            // Requests wait only when every busy container serves as many as it may: each new one takes
            // concurrency of them.
            int waitingContainers = Math.ceilDiv(waiting, spec.concurrency());
            int serving = busyFreesSoonerThanAStart ? Math.max(busy, waitingContainers) : busy + waitingContainers;
            short_ = Math.max(target, serving) - (starting + warm + busy - expiring - stale);
        } else {
            short_ = target + waiting - (starting + warm - stale);
        }
        int room = spec.pool().max() - (starting + warm + busy);
        return Math.max(0, Math.min(short_, room));
    }

    private static void sweep(Tally t, long now, List<Decision> out) {
        FunctionSpec spec = t.spec;
        FunctionView v = t.view;
        long timeout = spec.timeouts().request().toNanos();
        for (FunctionView.SlotView s : v.slots()) {
            if (s.state() == SlotState.BUSY) {
                if (s.oldestAcceptedNanos() != Long.MAX_VALUE && now - s.oldestAcceptedNanos() > timeout) {
                    t.retire(s, Decision.Why.TIMED_OUT, "its request ran past the "
                            + spec.timeouts().request().toMillis() + " ms request timeout", out);
                }
            } else if (s.state() == SlotState.WARM) {
                if ((v.draining() && v.waiting() == 0) || s.generation() != v.generation()) {
                    t.retire(s, Decision.Why.SUPERSEDED, "its function was changed or removed", out);
                } else if (v.stale(s) && t.mayRetireStale()) {
                    t.retire(s, Decision.Why.IMAGE_CHANGED, "of image " + s.imageId() + ", while " + spec.image()
                            + " now is " + v.imageId(), out);
                } else if (v.expiring(s) && t.warm + t.busy - t.expiring >= Math.max(1, t.target.ready())) {
                    t.retire(s, Decision.Why.RECYCLED, "after " + s.uses() + " of its " + spec.pool().maxUses()
                            + " uses: its replacement is warm", out);
                } else if (ScalingPolicy.mayRetireIdle(spec, v.demand(), t.ready(), t.target,
                        now - s.warmSinceNanos())) {
                    t.retire(s, Decision.Why.IDLE, "idle for " + (now - s.warmSinceNanos()) / 1_000_000
                            + " ms, beyond the " + t.target.ready() + " ready the function needs ("
                            + t.target.reason() + ")", out);
                }
            }
        }
    }

    /** Retires idle slots of functions other than {@code needy}, for {@code bytes}; returns the memory freed. */
    private static long reclaim(List<Tally> tallies, Tally needy, long bytes, List<Decision> out) {
        record Idle(Tally owner, FunctionView.SlotView slot) {}
        List<Idle> idle = new ArrayList<>();
        for (Tally t : tallies) {
            if (t != needy && t.ready() > t.spec.pool().min()) {
                for (FunctionView.SlotView s : t.view.slots()) {
                    if (s.state() == SlotState.WARM && !t.retired.contains(s.id())) {
                        idle.add(new Idle(t, s));
                    }
                }
            }
        }
        idle.sort(Comparator.comparingLong(i -> i.slot().warmSinceNanos()));
        long freed = 0;
        for (Idle i : idle) {
            if (freed >= bytes) {
                break;
            }
            if (i.owner().ready() > i.owner().spec.pool().min()) {
                i.owner().retire(i.slot(), Decision.Why.RECLAIMED, "to make room for " + needy.spec.name()
                        + " within the memory budget", out);
                freed = Saturating.add(freed, i.owner().spec.limits().memoryBytes());
            }
        }
        return freed;
    }

    /** One function's counts as the plan goes: its view, less what the plan retired, plus what it starts. */
    private static final class Tally {
        final FunctionView view;
        final FunctionSpec spec;
        final ScalingPolicy.Target target;
        final java.util.Set<String> retired = new java.util.HashSet<>();
        int starting;
        int warm;
        int busy;
        int expiring;
        /** Stale slots ({@link FunctionView#stale}) among those {@link #ready} counts, not expiring. */
        int stale;

        Tally(FunctionView view, ScalingPolicy.Target target) {
            this.view = view;
            this.spec = view.spec();
            this.target = target;
            this.starting = view.count(SlotState.STARTING);
            this.warm = view.count(SlotState.WARM);
            this.busy = view.count(SlotState.BUSY);
            for (FunctionView.SlotView s : view.slots()) {
                if ((s.state() == SlotState.WARM || s.state() == SlotState.BUSY) && view.expiring(s)) {
                    expiring++;
                }
                if (countsAsStale(s)) {
                    stale++;
                }
            }
        }

        private boolean countsAsStale(FunctionView.SlotView s) {
            boolean counted = switch (s.state()) {
                case STARTING, WARM -> true;
                case BUSY -> spec.mode().reusesContainers();
                case RETIRED -> false;
            };
            boolean expires = (s.state() == SlotState.WARM || s.state() == SlotState.BUSY) && view.expiring(s)
                    && spec.mode().reusesContainers();
            return counted && !expires && view.stale(s);
        }

        /**
         * Whether a stale idle slot may retire now: the others still make the ready target (at least one)
         * without it, counting only those that serve now (not starting ones); or, at {@code max} with none
         * starting, its replacement has no room until it goes.
         */
        boolean mayRetireStale() {
            int serving = warm + (spec.mode().reusesContainers() ? busy : 0);
            if (serving - 1 >= Math.max(1, target.ready())) {
                return true;
            }
            return starting == 0 && starting + warm + busy >= spec.pool().max();
        }

        int ready() {
            return starting + warm + (spec.mode().reusesContainers() ? busy : 0);
        }

        int wanted() {
            if (view.draining()) {
                return 0;
            }
            return PoolPlan.toStart(spec, target.ready(), view.waiting(), view.busyFreesSoonerThanAStart(),
                    starting, warm, busy, expiring, stale);
        }

        long memory() {
            return Saturating.multiply(view.slots().size() - retired.size(), spec.limits().memoryBytes());
        }

        void retire(FunctionView.SlotView s, Decision.Why why, String detail, List<Decision> out) {
            if (!retired.add(s.id())) {
                return;
            }
            out.add(new Decision.Retire(view.key(), s.id(), why, detail));
            if (countsAsStale(s)) {
                stale--;
            }
            switch (s.state()) {
                case STARTING -> starting--;
                case WARM -> warm--;
                case BUSY -> busy--;
                case RETIRED -> { }
            }
            if ((s.state() == SlotState.WARM || s.state() == SlotState.BUSY) && view.expiring(s)) {
                expiring--;
            }
        }
    }
}
