package dev.faaspool.pool;

/**
 * The life of a slot: {@code STARTING -> WARM -> BUSY -> RETIRED}, and {@code RETIRED} from any state.
 * A slot never comes back from {@code RETIRED}; its replacement is a new slot.
 */
public enum SlotState {
    /** Its container is being created or started; its init has not said hello yet. */
    STARTING,
    /** Its init is connected and blocked in {@code recvmsg}: the slot can take a connection now. */
    WARM,
    /** A dispatcher holds it: a connection is being handed to it, or its handler is serving one. */
    BUSY,
    /** Out of the pool; its container is removed or being removed. */
    RETIRED
}
