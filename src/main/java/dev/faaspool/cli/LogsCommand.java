package dev.faaspool.cli;

import dev.faaspool.config.FunctionSpec;
import dev.faaspool.config.Units;
import dev.faaspool.functionlogs.LogReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code faas-pool logs FUNCTION}: what a function's handlers wrote, like {@code docker logs}. */
@Command(name = "logs", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Prints every line the handlers of FUNCTION wrote to stdout and stderr, oldest first, across the "
                    + "rotated files of <logs>/FUNCTION.log: <UTC time> <slot>/<container> <out|err> <text>."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:printed",
            "1:no log of FUNCTION in the directory, or it cannot be read",
            "2:invalid command line (FUNCTION is not a function name, --since is not a duration or time)"
        })
final class LogsCommand implements Callable<Integer> {
    private static final Duration POLL = Duration.ofMillis(200);

    @Parameters(paramLabel = "FUNCTION", description = "A function's name, as in pool-config.")
    String function;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new lines as they are written (Ctrl-C stops).")
    boolean follow;

    @Option(names = "--since", paramLabel = "DURATION|TIME",
            description = "Only lines from this long ago (10m, 2h) or from this UTC time (2026-12-02T18:00:00Z) on.")
    String since;

    @Option(names = "--logs", paramLabel = "DIR", defaultValue = "logs",
            description = "faas-pool's --logs directory (default: ${DEFAULT-VALUE}).")
    Path logs;

    private final PrintStream out;
    private final PrintStream err;
    private final Clock clock;

    LogsCommand(PrintStream out, PrintStream err) {
        this(out, err, Clock.systemUTC());
    }

    LogsCommand(PrintStream out, PrintStream err, Clock clock) {
        this.out = out;
        this.err = err;
        this.clock = clock;
    }

    @Override
    public Integer call() {
        // The name becomes a file name: only what a function can be called, so nothing like ../x.
        if (!FunctionSpec.NAME.matcher(function).matches()) {
            err.println("faas-pool logs: '" + function + "' is not a function name (it must match " + FunctionSpec.NAME
                    + ")");
            return Main.EXIT_CONFIG;
        }
        Instant from;
        try {
            from = since == null ? null : since(since);
        } catch (IllegalArgumentException e) {
            err.println("faas-pool logs: --since: " + e.getMessage());
            return Main.EXIT_CONFIG;
        }
        LogReader reader = new LogReader(logs, function);
        if (reader.files().isEmpty()) {
            err.println("faas-pool logs: no log of function '" + function + "' in " + logs
                    + " (no container of it has run with --logs " + logs + ")");
            return Main.EXIT_START;
        }
        try {
            reader.read(from, follow, out::println, out::checkError, POLL);
        } catch (IOException e) {
            err.println("faas-pool logs: cannot read " + logs.resolve(function + ".log") + ": " + e.getMessage());
            return Main.EXIT_START;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.flush();
        return 0;
    }

    private Instant since(String text) {
        if (text.contains("T")) {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("'" + text + "' is not a UTC time like 2026-12-02T18:00:00Z");
            }
        }
        return clock.instant().minus(Units.parseDuration(text));
    }
}
