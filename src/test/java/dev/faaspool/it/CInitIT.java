package dev.faaspool.it;

import java.util.List;

/** The production init: runtime-init/faas-init.c, static, as the images carry it. */
class CInitIT extends InitConformance {
    @Override
    List<String> initCommand() {
        return List.of(BUILD.resolve("faas-init").toString());
    }
}
