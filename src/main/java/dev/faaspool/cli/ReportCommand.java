package dev.faaspool.cli;

import dev.faaspool.report.HtmlReport;
import dev.faaspool.report.RunLog;
import dev.faaspool.report.TextReport;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code faas-pool report <log>}: a run's latency log as percentile tables, and as an HTML page. */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Prints the percentile distribution of every function's latencies in a latency log "
                    + "(reports/<instance>-<time>.hlog), cold beside warm, in milliseconds.",
            "With --html, also writes a self-contained page with charts: latency by percentile, throughput and "
                    + "pool occupancy over time."
        })
final class ReportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "LOG", description = "A latency log written by faas-pool.")
    Path log;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write the report as an HTML page here.")
    Path html;

    private final PrintStream out;
    private final PrintStream err;

    ReportCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        RunLog run;
        try {
            run = RunLog.read(log);
        } catch (IOException e) {
            err.println("faas-pool report: " + e.getMessage());
            return Main.EXIT_CONFIG;
        }
        out.print(TextReport.format(run));
        if (html != null) {
            try {
                Files.writeString(html, HtmlReport.render(run), StandardCharsets.UTF_8);
                out.println("wrote " + html);
            } catch (IOException e) {
                err.println("faas-pool report: cannot write " + html + ": " + e.getMessage());
                return Main.EXIT_START;
            }
        }
        out.flush();
        return 0;
    }
}
