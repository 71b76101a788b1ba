package dev.faaspool.runtime;

import java.util.List;
import java.util.Objects;

/**
 * What the engine says of one local image, as far as the pool uses it.
 *
 * @param id         the content-addressed image ID ({@code sha256:...}): what a tag points at now
 * @param entrypoint the image's ENTRYPOINT, empty for none
 * @param user       the image's USER, empty for none
 * @param sizeBytes  its size on disk, as the engine reports it (0 when it does not)
 */
public record ImageInfo(String id, List<String> entrypoint, String user, long sizeBytes) {
    public ImageInfo {
        Objects.requireNonNull(id, "id");
        entrypoint = entrypoint == null ? List.of() : List.copyOf(entrypoint);
        user = user == null ? "" : user;
    }
}
