package dev.faaspool.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * faas-pool's seccomp profile as the jar carries it ({@code /seccomp/faas.json}, made by
 * runtime-init/seccomp/generate.py): an allowlist in Docker's format that denies by default, never
 * allows the calls a function must not make, and allows what every runtime needs.
 */
class SeccompProfileTest {
    static final String RESOURCE = "/seccomp/faas.json";

    /** Never allowed, under any argument. */
    static final Set<String> DENIED = Set.of(
            "ptrace", "process_vm_readv", "process_vm_writev",
            "io_uring_setup", "io_uring_enter", "io_uring_register",
            "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "bpf",
            "mount", "unshare", "setns", "kexec_load", "memfd_create");

    /** Allowed whatever the arguments. */
    static final Set<String> ALLOWED = Set.of("read", "write", "recvmsg", "sendmsg", "execve", "futex", "epoll_wait");

    /** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. */
    static final long CLONE_NEW_FLAGS = 0x00020000L | 0x02000000L | 0x04000000L | 0x08000000L
            | 0x10000000L | 0x20000000L | 0x40000000L;

    static JsonNode profile;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = SeccompProfileTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE + " is not on the classpath (run runtime-init/seccomp/generate.py)");
            profile = new ObjectMapper().readTree(in);
        }
    }

    /** The rules naming {@code syscall}. */
    static List<JsonNode> rulesFor(String syscall) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode rule : profile.path("syscalls")) {
            for (JsonNode name : rule.path("names")) {
                if (name.asText().equals(syscall)) {
                    out.add(rule);
                }
            }
            if (rule.path("name").asText().equals(syscall)) {
                out.add(rule);
            }
        }
        return out;
    }

    static boolean allows(JsonNode rule) {
        return rule.path("action").asText().equals("SCMP_ACT_ALLOW");
    }

    /**
     * No argument condition, and on x86_64 (amd64, Docker's name in {@code includes.arches}): some calls,
     * epoll_wait for one, exist only there (aarch64 has epoll_pwait alone), so their rule names the arch.
     */
    static boolean unconditional(JsonNode rule) {
        JsonNode arches = rule.path("includes").path("arches");
        boolean onAmd64 = arches.isMissingNode();
        for (JsonNode arch : arches) {
            onAmd64 |= arch.asText().equals("amd64");
        }
        return rule.path("args").isEmpty() && rule.path("includes").path("caps").isEmpty()
                && rule.path("excludes").isEmpty() && onAmd64;
    }

    @Test
    void deniesByDefaultWithAnErrno() {
        assertEquals("SCMP_ACT_ERRNO", profile.path("defaultAction").asText());
        assertEquals(1, profile.path("defaultErrnoRet").asInt(1), "EPERM");
    }

    @Test
    void coversX86_64AsDockerDoes() {
        JsonNode x86 = null;
        for (JsonNode arch : profile.path("archMap")) {
            if (arch.path("architecture").asText().equals("SCMP_ARCH_X86_64")) {
                x86 = arch;
            }
        }
        assertNotNull(x86, "archMap has SCMP_ARCH_X86_64");
        Set<String> sub = new TreeSet<>();
        x86.path("subArchitectures").forEach(s -> sub.add(s.asText()));
        assertEquals(Set.of("SCMP_ARCH_X86", "SCMP_ARCH_X32"), sub);
    }

    @Test
    void neverAllowsTheDeniedCalls() {
        for (String syscall : DENIED) {
            for (JsonNode rule : rulesFor(syscall)) {
                assertFalse(allows(rule), syscall + " is allowed by " + rule);
            }
        }
    }

    @Test
    void allowsWhatEveryRuntimeNeeds() {
        for (String syscall : ALLOWED) {
            assertTrue(rulesFor(syscall).stream().anyMatch(r -> allows(r) && unconditional(r)),
                    syscall + " is not allowed unconditionally on x86_64");
        }
    }

    @Test
    void allowsCloneWithoutNamespaceFlagsOnly() {
        List<JsonNode> rules = rulesFor("clone");
        assertFalse(rules.isEmpty(), "clone has a rule");
        for (JsonNode rule : rules) {
            if (!allows(rule)) {
                continue;
            }
            JsonNode args = rule.path("args");
            assertEquals(1, args.size(), "clone is allowed only under a condition: " + rule);
            JsonNode arg = args.get(0);
            assertEquals(0, arg.path("index").asInt());
            assertEquals("SCMP_CMP_MASKED_EQ", arg.path("op").asText());
            assertEquals(CLONE_NEW_FLAGS, arg.path("value").asLong() & CLONE_NEW_FLAGS,
                    "the mask covers every CLONE_NEW* flag");
            assertEquals(0, arg.path("valueTwo").asLong(), "none of them may be set");
        }
        assertTrue(rules.stream().anyMatch(SeccompProfileTest::allows), "clone is allowed (threads, fork)");
    }

    @Test
    void answersClone3WithEnosys() {
        List<JsonNode> rules = rulesFor("clone3");
        assertEquals(1, rules.size());
        assertEquals("SCMP_ACT_ERRNO", rules.get(0).path("action").asText());
        assertEquals(38, rules.get(0).path("errnoRet").asInt(), "ENOSYS, so libcs fall back to clone");
    }

    @Test
    void allowsOnlyHarmlessPersonalities() {
        Set<Long> values = new TreeSet<>();
        for (JsonNode rule : rulesFor("personality")) {
            assertTrue(allows(rule));
            assertEquals(1, rule.path("args").size(), "personality is allowed only for given values");
            assertEquals("SCMP_CMP_EQ", rule.path("args").get(0).path("op").asText());
            values.add(rule.path("args").get(0).path("value").asLong());
        }
        assertEquals(Set.of(0x0L, 0x8L, 0x20000L, 0x20008L, 0xffffffffL), values);
    }
}
