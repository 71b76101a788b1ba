package dev.faaspool.log;

import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A request log's time, formatted when the line is written (on the writer's thread), not when the
 * record is made (on an event loop): ISO-8601 in UTC with microseconds, always the same width.
 */
record LogTime(Instant instant) {
    static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSX").withZone(ZoneOffset.UTC);

    @JsonValue
    @Override
    public String toString() {
        return FORMAT.format(instant);
    }
}
