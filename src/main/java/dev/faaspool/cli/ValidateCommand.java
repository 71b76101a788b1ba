package dev.faaspool.cli;

import dev.faaspool.config.ConfigException;
import dev.faaspool.config.ConfigLoader;
import dev.faaspool.config.Defaults;
import dev.faaspool.config.PoolConfig;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code faas-pool validate DIR|FILE}: loads a configuration as faas-pool would, without Docker (no image or
 * network is looked up), and prints every error, one per line ({@code file:line: field: reason}); exit 0 when
 * there is none, 1 when there is one. For CI pipelines and editors' save hooks.
 */
@Command(name = "validate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Checks a pool configuration (a .yaml file, or a directory of them) without Docker, as faas-pool "
                    + "--config would read it, and prints every error as file:line: field: reason.",
            "Exits 0 when the configuration is valid, 1 when it is not. Images and networks are not checked: "
                    + "they are the engine's, and faas-pool checks them when it starts."
        })
final class ValidateCommand implements Callable<Integer> {
    static final int EXIT_INVALID = 1;

    @Parameters(paramLabel = "DIR|FILE", description = "The pool-config directory or one of its files.")
    Path path;

    @Option(names = "--http", paramLabel = "HOST:PORT",
            description = "The front listener's address faas-pool will be given with --http: a function without "
                    + "listen is then served there.")
    String http;

    private final PrintStream out;
    private final PrintStream err;

    ValidateCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        ConfigLoader loader = new ConfigLoader();
        PoolConfig config;
        List<Path> files;
        try {
            files = loader.files(path);
            config = loader.load(path);
        } catch (ConfigException e) {
            e.problems().forEach(p -> err.println(p.getMessage()));
            err.flush();
            return EXIT_INVALID;
        }
        if (http != null) {
            InetSocketAddress address;
            try {
                address = Defaults.parseListen(http);
            } catch (IllegalArgumentException e) {
                err.println("--http: " + e.getMessage());
                return EXIT_INVALID;
            }
            config = config.withHttp(address);
        }
        String problem = config.routingProblem();
        if (problem != null) {
            err.println(new ConfigException(path, 0, config.http() == null ? "http" : "listen", problem).getMessage());
            err.flush();
            return EXIT_INVALID;
        }
        int n = config.functions().size();
        out.println("ok: " + n + " function" + (n == 1 ? "" : "s") + " in " + files.size() + " file"
                + (files.size() == 1 ? "" : "s"));
        out.flush();
        return 0;
    }
}
