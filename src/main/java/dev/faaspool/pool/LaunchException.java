package dev.faaspool.pool;

import dev.faaspool.runtime.ContainerExit;

/** A slot that did not become warm, with what its container said about it when it could be asked. */
final class LaunchException extends Exception {
    private final transient ContainerExit exit;

    LaunchException(String message, ContainerExit exit, Throwable cause) {
        super(message, cause);
        this.exit = exit;
    }

    /** What the container reported, or null when there was no container or it could not be inspected. */
    ContainerExit exit() {
        return exit;
    }

    /** The reason and, when known, the container's exit code, OOM flag and last output lines. */
    String describe() {
        return exit == null ? getMessage() : getMessage() + "; " + exit.describe();
    }
}
