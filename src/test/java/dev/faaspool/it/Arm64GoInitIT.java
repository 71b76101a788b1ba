package dev.faaspool.it;

import java.nio.file.Files;
import java.nio.file.Path;

/** The Go variant, runtime-init/variants/go, static, built for aarch64 and run under qemu-user. */
class Arm64GoInitIT extends Arm64InitConformance {
    @Override
    Path binary() {
        return ARM64.resolve("faas-init-go");
    }

    /**
     * Its fork mode re-executes /proc/self/exe, an aarch64 binary, which the host's kernel runs only
     * where qemu is registered with binfmt_misc (not made or needed by these tests): FAIL fork 8 Exec
     * format error otherwise.
     */
    @Override
    boolean forkModeRuns() {
        return Files.exists(Path.of("/proc/sys/fs/binfmt_misc/qemu-aarch64"));
    }
}
