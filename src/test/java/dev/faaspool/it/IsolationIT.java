package dev.faaspool.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One request cannot see another: a hostile handler (src/test/hostile) on real containers tries to leave
 * a secret, a process and a spy behind for the next request of its container, to attach to the init,
 * and to make the system calls faas-pool's seccomp profile denies. Under {@code isolation: request}
 * (fork mode's default) each fails; under {@code isolation: container} each behaves as documented.
 */
class IsolationIT {
    /** What the faas profile denies, as the hostile handler's /syscalls names them. */
    private static final List<String> DENIED = List.of("ptrace", "process_vm_readv", "io_uring_setup",
            "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "bpf", "unshare", "mount",
            "memfd_create", "kexec_load", "open_by_handle_at");
    @TempDir
    Path work;
    private PoolProcess pool;
    private final Functions functions = new Functions();

    @AfterEach
    void cleanUp() throws Exception {
        if (pool != null) {
            pool.close();
        }
    }

    /** The hostile handler's image: on the C init (faas-runtime:slim); a subclass can put it on another init. */
    String image() {
        return "faas-test-hostile:latest";
    }

    /** Two fork functions of one container each, one per isolation level, on the hostile image. */
    private void start(String test) throws Exception {
        Map<String, String> fns = new LinkedHashMap<>();
        fns.put("req", "image: " + image() + "\nmode: fork\npool: { min: 1, max: 1, scaling: fixed }\n");
        fns.put("ctr", "image: " + image() + "\nmode: fork\nisolation: container\npool: { min: 1, max: 1, scaling: fixed }\n");
        pool = functions.start(work, test, fns);
    }

    private Map<String, String> get(String fn, String path) throws IOException {
        HttpProbe.Response r = HttpProbe.get(functions.address(fn), path, 30_000);
        assertEquals(200, r.status(), path + ": " + r);
        Map<String, String> m = new LinkedHashMap<>();
        r.body().lines().filter(l -> l.contains("=")).forEach(l -> m.put(l.substring(0, l.indexOf('=')),
                l.substring(l.indexOf('=') + 1)));
        return m;
    }

    @Test
    void whatARequestLeavesBehindIsGoneForTheNextUnderRequestIsolationOnly() throws Exception {
        start("isolation");
        for (String fn : List.of("req", "ctr")) {
            Map<String, String> w = get(fn, "/secret-write?value=SECRET-OF-CLIENT-A");
            assertEquals("written=1", w.get("/tmp/secret"), fn + ": " + w);
            assertEquals("written=1", w.get("/dev/shm/secret"), fn + ": " + w);
        }
        Map<String, String> req = get("req", "/secret-read");
        Map<String, String> ctr = get("ctr", "/secret-read");
        for (String where : List.of("/tmp/secret", "/dev/shm/secret")) {
            assertTrue(req.get(where).startsWith("ENOENT"), "request isolation: " + where + " " + req);
            assertEquals("SECRET-OF-CLIENT-A", ctr.get(where), "container isolation keeps files: " + ctr);
        }

        // A process that outlives its request: under request isolation it is killed when its request ends,
        // before it can watch the next request or leave it a mark.
        for (String fn : List.of("req", "ctr")) {
            get(fn, "/linger?seconds=3");
        }
        Map<String, String> spyReq = get("req", "/spy");
        Map<String, String> spyCtr = get("ctr", "/spy");
        assertEquals("0", spyReq.get("others"), "no process of an earlier request is left: " + spyReq);
        assertTrue(Integer.parseInt(spyCtr.get("others")) >= 1, "container isolation keeps processes: " + spyCtr);
        Thread.sleep(4_000);
        assertTrue(get("req", "/secret-read").get("/tmp/lingered").startsWith("ENOENT"), "killed before its mark");
        assertTrue(get("ctr", "/secret-read").get("/tmp/lingered").startsWith("pid="), "it lived on, and left it");
        assertEquals(0, pool.function("req").get("requests").get("handlerFailed").asInt());
    }

    @Test
    void noHandlerAttachesToTheInitOrMakesTheDeniedSystemCalls() throws Exception {
        start("seccomp");
        for (String fn : List.of("req", "ctr")) {
            Map<String, String> p = get(fn, "/ptrace1");
            assertTrue(p.get("ptrace_attach").startsWith("EPERM"), fn + ": " + p);
            assertTrue(!p.get("mem_open").startsWith("ok"), "PID 1's memory is not the handler's to read: " + p);
            Map<String, String> s = get(fn, "/syscalls");
            List<String> allowed = new ArrayList<>();
            for (String call : DENIED) {
                if (!s.getOrDefault(call, "missing").startsWith("EPERM")) {
                    allowed.add(call + "=" + s.get(call));
                }
            }
            assertEquals(List.of(), allowed, fn + ": calls the profile should deny: " + s);
            assertTrue(s.get("clone3").startsWith("ENOSYS") || s.get("clone3").startsWith("EPERM"), s.toString());
        }
    }

    @Test
    void theLimitsAreThoseConfigured() throws Exception {
        pool = functions.start(work, "limits", Map.of("fn", "image: " + image() + "\nmode: fork\n"
                + "pool: { min: 1, max: 1, scaling: fixed }\nlimits: { nofile: 256, shm: 2m }\n"));
        Map<String, String> p = get("fn", "/probe");
        assertEquals("256/256", p.get("nofile"), p.toString());
        assertTrue(p.get("mount:/dev/shm").contains("size=2048k"), p.toString());
    }
}
