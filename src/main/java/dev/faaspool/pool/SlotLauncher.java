package dev.faaspool.pool;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.control.ControlConnection;
import dev.faaspool.control.ControlEndpoint;
import dev.faaspool.control.ControlMessage;
import dev.faaspool.runtime.ContainerExit;
import dev.faaspool.runtime.CgroupParent;
import dev.faaspool.runtime.ContainerSpec;
import dev.faaspool.runtime.SeccompProfile;
import dev.faaspool.runtime.EngineGuard;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import dev.faaspool.runtime.Labels;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Brings a new slot from nothing to a connected init: opens its control endpoint, creates and starts
 * its container, and waits for the init's hello within the function's start timeout.
 *
 * <p>Creating and starting go through the {@link EngineGuard}: a bounded number at once, and none while
 * the engine keeps failing.
 */
final class SlotLauncher {
    /** Where the slot directory appears inside the container. */
    static final String CONTROL_MOUNT = "/run/faas";

    private final dev.faaspool.runtime.ContainerRuntime runtime;
    private final RunDirectory runDir;
    private final String instance;
    private final EngineGuard engine;
    private final Ticker ticker;
    private final BiConsumer<Slot, String> onCreated;

    /**
     * @param onCreated told each container id right after the container exists, before it starts, so
     *                  that its exit can be routed to the slot
     */
    SlotLauncher(dev.faaspool.runtime.ContainerRuntime runtime, RunDirectory runDir, String instance,
            EngineGuard engine, Ticker ticker, BiConsumer<Slot, String> onCreated) {
        this.runtime = runtime;
        this.runDir = runDir;
        this.instance = instance;
        this.engine = engine;
        this.ticker = ticker;
        this.onCreated = onCreated;
    }

    /**
     * Launches {@code slot}; on return its init has said hello and {@link Slot#control()} is set.
     * When the slot is retired meanwhile, its container is removed here rather than left behind.
     */
    void launch(Slot slot, FunctionSpec spec) throws LaunchException {
        long deadline = slot.createdNanos() + spec.timeouts().start().toNanos();
        FunctionSpec.Limits limits = spec.limits();
        try {
            slot.endpoint(ControlEndpoint.open(runDir.slotDir(slot.id()), limits.uid(), limits.gid()));
        } catch (IOException e) {
            throw new LaunchException("cannot open its control socket: " + e.getMessage(), null, e);
        }
        try {
            boolean started = engine.start(() -> {
                String id = runtime.create(containerSpec(slot, spec));
                slot.containerId(id);
                onCreated.accept(slot, id);
                if (slot.state() == SlotState.RETIRED) {
                    runtime.remove(id);
                    return false;
                }
                runtime.start(id);
                return true;
            });
            if (!started) {
                throw new LaunchException("retired while starting", null, null);
            }
        } catch (CallNotPermittedException e) {
            throw new LaunchException("the Docker engine is failing, so no start was tried (circuit open)", null, e);
        } catch (RuntimeException e) {
            throw new LaunchException("Docker refused it: " + e.getMessage(), exitOf(slot), e);
        }
        try {
            ControlConnection c = slot.endpoint().accept(left(deadline));
            slot.control(c);
            ControlMessage.Hello hello = c.awaitHello(left(deadline));
            // The function's concurrency, as far as the init said it can: an SDK that serves one at a time
            // gets one at a time, whatever the configuration asks.
            slot.capacity(Math.max(1, Math.min(spec.concurrency(), hello.concurrency())));
            slot.takesTrace(hello.trace());
        } catch (SocketTimeoutException e) {
            throw new LaunchException("its init did not connect and say hello within "
                    + spec.timeouts().start().toMillis() + " ms", exitOf(slot), e);
        } catch (IOException e) {
            ContainerExit exit = exitOf(slot);
            String why = exit != null && exit.exitCode() >= 0
                    ? "its container exited before the init said hello"
                    : "its init did not say hello (" + e.getMessage() + ")";
            throw new LaunchException(why, exit, e);
        }
    }

    private ContainerExit exitOf(Slot slot) {
        String id = slot.containerId();
        if (id == null || slot.state() == SlotState.RETIRED) {
            return null;
        }
        try {
            return runtime.inspectExit(id);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private ContainerSpec containerSpec(Slot slot, FunctionSpec spec) {
        Map<String, String> env = new HashMap<>(spec.environment());
        // The configuration refuses these names already; the pool's own variables win regardless.
        env.keySet().removeIf(k -> dev.faaspool.config.Bounds.RESERVED_ENV_PREFIXES.stream().anyMatch(k::startsWith));
        env.put("FAAS_CONTROL_SOCK", CONTROL_MOUNT + "/" + ControlEndpoint.SOCKET_NAME);
        env.put("FAAS_FUNCTION", spec.name());
        env.put("FAAS_MODE", spec.mode().configName());
        if (spec.stdio()) {
            env.put("FAAS_STDIO", "1");
        }
        if (spec.mode() == dev.faaspool.config.HandlerMode.PERSISTENT) {
            env.put("FAAS_CONCURRENCY", Integer.toString(spec.concurrency()));
        }
        env.put("FAAS_ISOLATION", spec.sandbox().isolation().configName());
        Map<String, String> labels = Map.of(
                Labels.INSTANCE, instance,
                Labels.FUNCTION, spec.name(),
                Labels.SLOT, slot.id(),
                Labels.OWNER_PID, Long.toString(ProcessHandle.current().pid()));
        FunctionSpec.Limits l = spec.limits();
        String seccomp = switch (spec.sandbox().seccomp()) {
            case FAAS -> SeccompProfile.faas();
            case DEFAULT -> null;
            case UNCONFINED -> "unconfined";
        };
        // By ID when known: the container is of the image the slot records, whatever a retag does meanwhile.
        String image = slot.imageId() != null ? slot.imageId() : spec.image();
        return new ContainerSpec("faas-" + instance + "-" + slot.id(), image, spec.command(), env, labels,
                slot.endpoint().dir(), CONTROL_MOUNT, l.memoryBytes(), l.pids(), l.tmpBytes(), l.user(),
                l.milliCpus() * 1_000_000L, l.shmBytes(), l.nofile(), seccomp, spec.sandbox().runtime(),
                CgroupParent.of(instance, spec.name()), spec.network());
    }

    private Duration left(long deadlineNanos) throws SocketTimeoutException {
        long left = deadlineNanos - ticker.read();
        if (left <= 0) {
            throw new SocketTimeoutException("start deadline passed");
        }
        return Duration.ofNanos(left);
    }
}
