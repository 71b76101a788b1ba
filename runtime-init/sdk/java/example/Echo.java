import dev.faaspool.sdk.Faas;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A line echo handler on the Java SDK (runtime-init/sdk/java), the one SdkConformanceIT runs: it
 * reads one line from the client and answers "echo <line>"; the line "raise" makes it throw instead,
 * which the SDK reports as DONE 1; the line "traceparent" is answered "traceparent <value>", the
 * request's trace context as {@code Faas.traceparent(socket)} has it ("none" for null). Runs as a
 * single source file: {@code java -cp faas-sdk.jar Echo.java}; an argument, {@code Echo.java <max>},
 * asks the SDK to serve at most {@code <max>} connections at once ({@code Faas.serve(handler, max)});
 * {@code $FAAS_CONCURRENCY} says how many it may.
 */
public class Echo {
    static void handle(Socket socket) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        String line = in.readLine();
        if ("raise".equals(line)) {
            throw new IllegalStateException("asked to fail");
        }
        OutputStream out = socket.getOutputStream();
        if ("traceparent".equals(line)) {
            String trace = Faas.traceparent(socket);
            out.write(("traceparent " + (trace == null ? "none" : trace) + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return;
        }
        out.write(("echo " + line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    public static void main(String[] args) {
        if (args.length > 0) {
            Faas.serve(Echo::handle, Integer.parseInt(args[0]));
        } else {
            Faas.serve(Echo::handle);
        }
    }
}
