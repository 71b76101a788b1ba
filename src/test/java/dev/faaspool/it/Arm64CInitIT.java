package dev.faaspool.it;

import java.nio.file.Path;

/** The production init, runtime-init/faas-init.c, static (musl), built for aarch64 and run under qemu-user. */
class Arm64CInitIT extends Arm64InitConformance {
    @Override
    Path binary() {
        return ARM64.resolve("faas-init");
    }
}
