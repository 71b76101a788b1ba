package dev.faaspool.config;

/** Which seccomp profile a function's containers run under. */
public enum Seccomp {
    /**
     * faas-pool's own (src/main/resources/seccomp/faas.json, runtime-init/seccomp/README.md): Docker's
     * default allowances minus what a function does not need (ptrace, process_vm_*, io_uring, ...).
     */
    FAAS("faas"),
    /** The Docker engine's built-in default profile. */
    DEFAULT("default"),
    /** None at all: every system call the kernel has. Named so that nobody picks it by accident. */
    UNCONFINED("unconfined-not-recommended");

    private final String configName;

    Seccomp(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }
}
