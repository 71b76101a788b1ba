package dev.faaspool.runtime;

/** A container engine call that failed, with the engine's own message. */
public final class ContainerRuntimeException extends RuntimeException {
    public ContainerRuntimeException(String message, Throwable cause) {
        super(message, cause);
    }
}
