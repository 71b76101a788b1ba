package dev.faaspool.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;

/**
 * The faas-pool command line a deployment file gives (the Swarm stack's {@code command}, the DaemonSet's
 * {@code args}), as {@code --flag=value} items, checked against Main's own options: a flag renamed in
 * Main fails the deployment's test here, not at a node's start.
 */
record DeployedCommandLine(Map<String, String> flags) {
    /**
     * Options a deployment file may already name before Main has them (another branch adds them); each
     * is checked as soon as Main knows it.
     */
    static final Set<String> PENDING = Set.of("--drain-delay");

    static DeployedCommandLine of(List<?> args) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (Object a : args) {
            String arg = String.valueOf(a);
            assertTrue(arg.startsWith("--"), () -> "not an option: " + arg);
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            assertTrue(flags.put(name, eq < 0 ? "" : arg.substring(eq + 1)) == null, () -> "given twice: " + name);
        }
        return new DeployedCommandLine(flags);
    }

    String value(String flag) {
        String v = flags.get(flag);
        assertNotNull(v, () -> "the deployment gives no " + flag + ": " + flags);
        return v;
    }

    /** Every flag is one of Main's options (or pending), and picocli parses the whole line (types, ranges). */
    void assertMainAccepts() {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        CommandLine cl = new CommandLine(new Main(quiet, quiet));
        List<String> line = new ArrayList<>();
        for (Map.Entry<String, String> f : flags.entrySet()) {
            boolean known = cl.getCommandSpec().findOption(f.getKey()) != null;
            assertTrue(known || PENDING.contains(f.getKey()), () -> "faas-pool has no option " + f.getKey());
            if (known) {
                line.add(f.getValue().isEmpty() ? f.getKey() : f.getKey() + "=" + f.getValue());
            }
        }
        cl.parseArgs(line.toArray(String[]::new));
    }
}
