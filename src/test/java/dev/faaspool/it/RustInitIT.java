package dev.faaspool.it;

import java.util.List;

/** The Rust variant: runtime-init/variants/rust, std only, a static-pie binary (glibc). */
class RustInitIT extends InitConformance {
    @Override
    List<String> initCommand() {
        return List.of(BUILD.resolve("faas-init-rust").toString());
    }
}
