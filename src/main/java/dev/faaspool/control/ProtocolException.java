package dev.faaspool.control;

import java.io.IOException;

/** The init said something protocol version 1 does not allow. */
public final class ProtocolException extends IOException {
    public ProtocolException(String message) {
        super(message);
    }
}
