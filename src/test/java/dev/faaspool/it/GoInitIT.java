package dev.faaspool.it;

import java.util.List;

/** The Go variant: runtime-init/variants/go, a static binary. */
class GoInitIT extends InitConformance {
    @Override
    List<String> initCommand() {
        return List.of(BUILD.resolve("faas-init-go").toString());
    }
}
