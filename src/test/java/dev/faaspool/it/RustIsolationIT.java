package dev.faaspool.it;

/**
 * IsolationIT with the Rust init (runtime-init/variants/rust) as the containers' PID 1: request
 * isolation's kill(-1) and the emptying of /tmp and /dev/shm, a non-dumpable init, and the seccomp
 * profile's denials, in real containers (the conformance suite runs on the host, where it cannot
 * check them).
 */
class RustIsolationIT extends IsolationIT {
    @Override
    String image() {
        return "faas-test-hostile:rust";
    }
}
