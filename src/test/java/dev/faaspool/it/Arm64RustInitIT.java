package dev.faaspool.it;

import java.nio.file.Path;

/** The Rust variant, runtime-init/variants/rust, static (glibc), built for aarch64 and run under qemu-user. */
class Arm64RustInitIT extends Arm64InitConformance {
    @Override
    Path binary() {
        return ARM64.resolve("faas-init-rust");
    }
}
