package dev.faaspool.it;

import java.util.List;

/** The Python variant: runtime-init/variants/python/faas-init.py, run by the python3 on the PATH. */
class PythonInitIT extends InitConformance {
    @Override
    List<String> initCommand() {
        return List.of("python3", BUILD.resolve("faas-init.py").toString());
    }
}
