package dev.faaspool.runtime;

/**
 * Where a runtime sends what the containers it starts write to stdout and stderr. Called on the
 * runtime's own stream threads, never on the request path; an implementation must not block for long
 * (a slow one holds up only its container's stream).
 */
public interface ContainerOutput {

    /** Receives the frames of one container's output, then its end; from one thread at a time. */
    interface Receiver {
        /**
         * One message the container wrote, as the engine sends it: with the engine's timestamp and a space
         * first, ending with a newline unless the engine split a long line or it is the last one.
         */
        void frame(boolean stderr, byte[] payload);

        /**
         * A message read again after the stream ended, to get what the engine did not send (the last line
         * of a container that had no newline): like {@link #frame}, but one with the engine's time of the
         * last message taken is that message again, not the next piece of a long line.
         */
        void again(boolean stderr, byte[] payload);

        /** The output ended: the container stopped (or the stream broke). Called once. */
        void end();
    }

    /** The receiver for a container of {@code function} in {@code slot} that was just started. */
    Receiver open(String function, String slot, String containerId);
}
