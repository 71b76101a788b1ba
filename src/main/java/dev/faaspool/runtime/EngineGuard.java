package dev.faaspool.runtime;

import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the pool calls a container engine that may misbehave (Resilience4j):
 * <ul>
 *   <li>container starts run through a <b>bulkhead</b>: at most {@code startConcurrency} at once, the
 *       rest wait their turn (the engine does that work mostly serially; a burst would slow every start);
 *   <li>every call runs through one <b>circuit breaker</b>: when most recent calls fail, it opens and
 *       calls fail at once for a while instead of piling up on a dead daemon; the pool keeps serving
 *       from the containers it has, and answers 503 when none are left; a trial call closes it again
 *       when the daemon is back;
 *   <li>idempotent calls (remove, list) are <b>retried</b> with exponential backoff.
 * </ul>
 * Starts themselves are not retried here: the pool retries a failed start by starting a new slot,
 * with its own backoff.
 */
public final class EngineGuard {
    private static final Logger log = LoggerFactory.getLogger(EngineGuard.class);

    private final Bulkhead starts;
    private final CircuitBreaker breaker;
    private final Retry retry;

    public EngineGuard(int startConcurrency, Duration openFor) {
        if (startConcurrency < 1) {
            throw new IllegalArgumentException("startConcurrency must be >= 1 (was " + startConcurrency + ")");
        }
        this.starts = Bulkhead.of("container-starts", BulkheadConfig.custom()
                .maxConcurrentCalls(startConcurrency)
                .maxWaitDuration(Duration.ofMinutes(1))
                .fairCallHandlingStrategyEnabled(true)
                .build());
        this.breaker = CircuitBreaker.of("docker", CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(10)
                .minimumNumberOfCalls(4)
                .failureRateThreshold(50)
                .waitDurationInOpenState(openFor)
                .permittedNumberOfCallsInHalfOpenState(1)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .recordException(EngineGuard::engineFailed)
                .build());
        this.retry = Retry.of("docker-idempotent", RetryConfig.custom()
                .maxAttempts(3)
                .intervalFunction(IntervalFunction.ofExponentialBackoff(Duration.ofMillis(100), 3))
                .retryOnException(e -> !(e instanceof CallNotPermittedException))
                .build());
        breaker.getEventPublisher().onStateTransition(e -> {
            switch (e.getStateTransition().getToState()) {
                case OPEN -> log.warn("the Docker engine keeps failing: no container starts for {} s; serving from the"
                        + " warm containers there are", openFor.toSeconds());
                case CLOSED -> log.info("the Docker engine answers again: starting containers");
                default -> { }
            }
        });
    }

    /** Runs a container start: waits for a bulkhead permit, fails fast while the circuit is open. */
    public <T> T start(Supplier<T> call) {
        return Bulkhead.decorateSupplier(starts, CircuitBreaker.decorateSupplier(breaker, call)).get();
    }

    /** Runs an idempotent call (remove, list, inspect): retried, through the circuit breaker. */
    public <T> T idempotent(Supplier<T> call) {
        return Retry.decorateSupplier(retry, CircuitBreaker.decorateSupplier(breaker, call)).get();
    }

    /**
     * Whether {@code e} says the engine failed, as opposed to refusing a request it understood (no such
     * image, a name in use): only the first kind counts against the circuit.
     */
    static boolean engineFailed(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof com.github.dockerjava.api.exception.DockerException d) {
                return d.getHttpStatus() >= 500;
            }
            if (t instanceof java.io.IOException || t instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
        }
        return e instanceof ContainerRuntimeException;
    }

    /** The circuit's state, for status and metrics: closed, open, half_open. */
    public String state() {
        return breaker.getState().name().toLowerCase(java.util.Locale.ROOT);
    }
}
