package dev.faaspool.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile values for every bounded field, through the real {@link ConfigLoader}: random and boundary
 * numbers (0, ±1, each bound and its neighbours, {@code Integer.MAX_VALUE}, {@code Long.MAX_VALUE} and
 * beyond, {@code 99999999999h}, {@code 8589934591g}) with every unit and none, and garbage (any Unicode,
 * control characters, digits of other scripts). For each, the loader either accepts the value, and then it
 * is exactly what an independent oracle (arbitrary-precision arithmetic on the documented grammar and
 * bounds) says, or rejects it with a {@link ConfigException} naming the file, a line and the field: never
 * another exception, never a value out of bounds.
 *
 * <p>A value goes into the file double-quoted with every non-ASCII or control character escaped, so the
 * loader reads exactly the generated string (it reads scalars as text, whatever YAML would resolve them to).
 */
class ConfigBoundsPropertyTest {
    private static final BigInteger MS = BigInteger.valueOf(1_000_000);
    private static final Map<String, BigInteger> DURATION_UNITS = Map.of("ms", MS, "s", MS.multiply(big(1000)),
            "m", MS.multiply(big(60_000)), "h", MS.multiply(big(3_600_000)), "d", MS.multiply(big(86_400_000)));
    private static final Map<String, Integer> SIZE_SHIFTS = Map.of("", 0, "k", 10, "m", 20, "g", 30, "t", 40, "p", 50);
    // The documented grammar, written out independently: ASCII digits, ASCII letters in either case, and the
    // whitespace of \s and String.trim() (which strips every character up to U+0020).
    private static final Pattern WHOLE = Pattern.compile("[+-]?[0-9]+");
    private static final Pattern DURATION = Pattern.compile("([0-9]+)[ \\t\\n\\x0B\\f\\r]*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("([0-9]+)[ \\t\\n\\x0B\\f\\r]*([kmgtp]?)b?");

    @TempDir
    static Path dir;

    // ---- the fields and their oracles ----

    enum Kind { WHOLE, DURATION, SIZE }

    /**
     * One bounded field of function "hello" (or of host), set alone, all others at their defaults: accepted
     * exactly within {@code min..max} (in the field's unit: a number, nanoseconds or bytes), the defaults
     * included (default max 16 for initial and a schedule's min; default min 2, so max >= 2).
     */
    record Field(String section, String key, Kind kind, BigInteger min, BigInteger max) {
        String path() {
            return section.equals("host") ? "host." + key : "functions.hello." + section + "." + key;
        }

        @Override
        public String toString() {
            return path();
        }
    }

    private static final List<Field> FIELDS = List.of(
            new Field("pool", "min", Kind.WHOLE, big(0), big(10_000)),
            new Field("pool", "max", Kind.WHOLE, big(Defaults.MIN), big(10_000)),
            new Field("pool", "initial", Kind.WHOLE, big(0), big(Defaults.MAX)),
            new Field("pool", "max-uses", Kind.WHOLE, big(1), big(Integer.MAX_VALUE)),
            new Field("pool", "idle-ttl", Kind.DURATION, big(1), nanos(Duration.ofDays(30))),
            new Field("pool", "schedules[0].min", Kind.WHOLE, big(0), big(Defaults.MAX)),
            new Field("limits", "memory", Kind.SIZE, big(4L << 20), big(1L << 40)),
            new Field("limits", "tmp", Kind.SIZE, big(0), big(64L << 30)),
            new Field("limits", "pids", Kind.WHOLE, big(1), big(4_194_304)),
            new Field("timeouts", "acquire", Kind.DURATION, big(1), nanos(Duration.ofMinutes(10))),
            new Field("timeouts", "start", Kind.DURATION, big(1), nanos(Duration.ofMinutes(10))),
            new Field("timeouts", "request", Kind.DURATION, big(1), nanos(Duration.ofHours(24))),
            // 0 is no budget; else the default minimums (2 containers of 64m) must fit.
            new Field("host", "memory", Kind.SIZE, big(Defaults.MIN * Defaults.MEMORY), big(1L << 50)));

    /** What the oracle makes of a text: the value in the field's unit, or null if it is no such value. */
    static BigInteger oracle(Kind kind, String text) {
        String t = text.trim();
        switch (kind) {
            case WHOLE -> {
                return WHOLE.matcher(t).matches() ? new BigInteger(t) : null;
            }
            case DURATION -> {
                Matcher m = DURATION.matcher(asciiLower(t));
                return m.matches() ? new BigInteger(m.group(1)).multiply(DURATION_UNITS.get(m.group(2))) : null;
            }
            default -> {
                Matcher m = SIZE.matcher(asciiLower(t));
                return m.matches() ? new BigInteger(m.group(1)).shiftLeft(SIZE_SHIFTS.get(m.group(2))) : null;
            }
        }
    }

    // ---- properties ----

    /** Tries of each random property; the deterministic edges come on top. */
    static final int TRIES = Integer.getInteger("faaspool.tries", 1000);

    @Test
    void everyBoundedFieldIsAcceptedExactlyWithinItsBoundsOrRejectedAtFileLineAndField() {
        Tries t = new Tries("bounded fields");
        for (Field field : FIELDS) {
            for (String value : edges(field)) {
                t.check(value, v -> checkField(field, v));
            }
        }
        for (int i = 0; i < 4 * TRIES; i++) {
            Field field = FIELDS.get(t.random().nextInt(FIELDS.size()));
            t.check(t.random().nextInt(3) == 0 ? within(t.random(), field) : value(t.random()), v -> checkField(field, v));
        }
        t.report();
    }

    private static String checkField(Field field, String value) throws IOException {
        String yaml = switch (field.section()) {
            case "host" -> "host:\n  memory: " + quote(value) + "\n" + HELLO;
            case "pool" -> field.key().startsWith("schedules")
                    ? HELLO + "    pool:\n      schedules:\n        - { days: daily, from: \"08:00\", to: \"18:00\", min: "
                            + quote(value) + " }\n"
                    : HELLO + "    pool:\n      " + field.key() + ": " + quote(value) + "\n";
            default -> HELLO + "    " + field.section() + ":\n      " + field.key() + ": " + quote(value) + "\n";
        };
        BigInteger v = oracle(field.kind(), value);
        boolean expected = v != null && (field.path().equals("host.memory") && v.signum() == 0
                || v.compareTo(field.min()) >= 0 && v.compareTo(field.max()) <= 0);
        PoolConfig config = loadOrReject(yaml, field.path(), expected, value);
        if (config == null) {
            return "rejected";
        }
        assertEquals(v, read(field, config), field + " read from '" + value + "'");
        return "accepted";
    }

    @Test
    void aUserIsAcceptedOnlyAsUidOrUidGidOfUnprivilegedIds() {
        Tries t = new Tries("limits.user");
        for (int i = 0; i < TRIES; i++) {
            t.check(user(t.random()), user -> {
                PoolConfig config = loadOrReject(HELLO + "    limits:\n      user: " + quote(user) + "\n",
                        "functions.hello.limits.user", userOracle(user), user);
                if (config == null) {
                    return "rejected";
                }
                FunctionSpec.Limits l = config.functions().get(0).limits();
                String[] ids = user.split(":");
                assertEquals(Long.parseLong(ids[0]), l.uid());
                assertEquals(Long.parseLong(ids[ids.length - 1]), l.gid());
                assertTrue(l.uid() >= 1 && l.gid() >= 1);
                return "accepted";
            });
        }
        t.report();
    }

    @Test
    void anEnvironmentIsAcceptedOnlyWithValidUnreservedNamesNoNulAndAtMost64KiB() {
        Tries t = new Tries("env");
        for (int i = 0; i < TRIES; i++) {
            t.check(environment(t.random()), env -> {
                StringBuilder yaml = new StringBuilder(HELLO).append("    env:").append(env.isEmpty() ? " {}\n" : "\n");
                env.forEach((k, v) -> yaml.append("      ").append(quote(k)).append(": ").append(quote(v)).append('\n'));
                long bytes = 0;
                boolean valid = true;
                for (Map.Entry<String, String> e : env.entrySet()) {
                    bytes += utf8(e.getKey()) + utf8(e.getValue()) + 2;
                    valid &= e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*") && !e.getKey().startsWith("FAAS_")
                            && !e.getKey().startsWith("LISTEN_") && e.getValue().indexOf('\0') < 0;
                }
                PoolConfig config = loadOrReject(yaml.toString(), "functions.hello.env", valid && bytes <= 65_536, env);
                if (config == null) {
                    return "rejected";
                }
                assertEquals(env, config.functions().get(0).env());
                return "accepted";
            });
        }
        t.report();
    }

    @Test
    void aCommandIsAcceptedOnlyWithAtMost256ArgumentsNoNulAndAtMost64KiB() {
        Tries t = new Tries("command");
        for (int i = 0; i < TRIES; i++) {
            t.check(command(t.random()), command -> {
                StringBuilder yaml = new StringBuilder(HELLO).append("    command: [");
                for (int j = 0; j < command.size(); j++) {
                    yaml.append(j == 0 ? "" : ", ").append(quote(command.get(j)));
                }
                yaml.append("]\n");
                long bytes = command.stream().mapToLong(a -> utf8(a) + 1).sum();
                boolean valid = command.size() <= 256 && bytes <= 65_536
                        && command.stream().noneMatch(a -> a.indexOf('\0') >= 0);
                PoolConfig config = loadOrReject(yaml.toString(), "functions.hello.command", valid, command);
                if (config == null) {
                    return "rejected";
                }
                assertEquals(command, config.functions().get(0).command());
                return "accepted";
            });
        }
        t.report();
    }

    @Test
    void anImageIsAcceptedOnlyWithoutWhitespaceOrControlCharactersAndAtMost255() {
        Tries t = new Tries("image");
        for (int i = 0; i < TRIES; i++) {
            t.check(image(t.random()), image -> {
                boolean valid = !image.isBlank() && image.length() <= 255 && image.chars().noneMatch(
                        c -> Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c));
                PoolConfig config = loadOrReject(HELLO.replace("faas-hello:latest", quote(image)),
                        "functions.hello.image", valid, image);
                if (config == null) {
                    return "rejected";
                }
                assertEquals(image, config.functions().get(0).image());
                return "accepted";
            });
        }
        t.report();
    }

    // ---- the loading and its two outcomes ----

    private static final String HELLO = """
            functions:
              hello:
                image: faas-hello:latest
                listen: 127.0.0.1:8080
            """;

    /**
     * Loads {@code yaml}; returns the configuration when {@code expected} says it is valid, and checks the
     * error when not: a ConfigException (any other exception fails the property) naming the file, a line
     * that exists, and {@code path}, a section that encloses it or a field within it, in one line of text.
     */
    private static PoolConfig loadOrReject(String yaml, String path, boolean expected, Object value) throws IOException {
        Path file = Files.writeString(dir.resolve("pool.yaml"), yaml, StandardCharsets.UTF_8);
        try {
            PoolConfig config = new ConfigLoader().load(file);
            if (!expected) {
                fail(path + ": " + Tries.describe(value) + " was accepted: " + config);
            }
            return config;
        } catch (ConfigException e) {
            String where = path + " = " + Tries.describe(value) + ": " + e.getMessage();
            assertFalse(expected, "rejected " + where);
            assertEquals(file, e.file(), where);
            assertTrue(e.line() > 0 && e.line() <= yaml.split("\n", -1).length, where);
            assertTrue(e.getMessage().startsWith(file + ":" + e.line() + ": " + e.field() + ": "), where);
            assertTrue(encloses(e.field(), path) || e.field().startsWith(path + "."), where);
            assertFalse(e.getMessage().chars().anyMatch(Character::isISOControl), where);
            return null;
        }
    }

    /** Whether {@code field} is {@code path} or a section around it ({@code functions.hello.pool} around its max). */
    private static boolean encloses(String field, String path) {
        return field != null && !field.isEmpty()
                && (path.equals(field) || path.startsWith(field + ".") || path.startsWith(field + "["));
    }

    private static BigInteger read(Field field, PoolConfig config) {
        FunctionSpec f = config.functions().get(0);
        return switch (field.path()) {
            case "functions.hello.pool.min" -> big(f.pool().min());
            case "functions.hello.pool.max" -> big(f.pool().max());
            case "functions.hello.pool.initial" -> big(f.pool().initial());
            case "functions.hello.pool.max-uses" -> big(f.pool().maxUses());
            case "functions.hello.pool.idle-ttl" -> nanos(f.pool().idleTtl());
            case "functions.hello.pool.schedules[0].min" -> big(f.pool().schedules().get(0).min());
            case "functions.hello.limits.memory" -> big(f.limits().memoryBytes());
            case "functions.hello.limits.tmp" -> big(f.limits().tmpBytes());
            case "functions.hello.limits.pids" -> big(f.limits().pids());
            case "functions.hello.timeouts.acquire" -> nanos(f.timeouts().acquire());
            case "functions.hello.timeouts.start" -> nanos(f.timeouts().start());
            case "functions.hello.timeouts.request" -> nanos(f.timeouts().request());
            case "host.memory" -> big(config.host().memoryBudget());
            default -> throw new AssertionError(field);
        };
    }

    private static boolean userOracle(String user) {
        if (!user.matches("[0-9]{1,10}(:[0-9]{1,10})?")) {
            return false;
        }
        for (String id : user.split(":")) {
            long n = Long.parseLong(id);
            if (n < 1 || n > Integer.MAX_VALUE) {
                return false;
            }
        }
        return true;
    }

    // ---- generators ----

    private static final List<BigInteger> EDGE_NUMBERS = edgeNumbers();

    /** Around every bound, and beyond every type's range: 0, ±1, 2^31, 2^32, 2^63, 10^20, 4m, 1t, 1p in bytes. */
    private static List<BigInteger> edgeNumbers() {
        List<BigInteger> edges = new ArrayList<>();
        for (long n : new long[] {0, 1, 2, 3, 4, 15, 16, 17, 24, 25, 30, 31, 60, 64, 65, 720, 721, 1023, 1024, 1025,
                9_999, 10_000, 10_001, 65_536, 600_000, 600_001, 106_751, 106_752, 4_194_303, 4_194_304, 4_194_305,
                2_562_047, 2_562_048, 99_999_999_999L, 8_589_934_591L, 8_589_934_592L, 9_223_372_036L,
                9_223_372_037L}) {
            edges.add(big(n));
        }
        for (BigInteger b : List.of(big(Integer.MAX_VALUE), big(Long.MAX_VALUE), BigInteger.TWO.pow(32),
                BigInteger.TEN.pow(20), BigInteger.TEN.pow(40))) {
            edges.addAll(List.of(b.subtract(BigInteger.ONE), b, b.add(BigInteger.ONE)));
        }
        for (int shift : new int[] {20, 30, 40, 50}) {
            for (long n : new long[] {1, 4, 64, 128}) {
                BigInteger b = big(n).shiftLeft(shift);
                edges.addAll(List.of(b.subtract(BigInteger.ONE), b, b.add(BigInteger.ONE)));
            }
        }
        return List.copyOf(edges);
    }

    /**
     * Every field's own bounds and their neighbours in each of its units ({@code 599999ms 600000ms 600001ms 9m
     * 10m 11m ...}), then the values of the issue and the largest numbers of each type, in a few units.
     */
    static List<String> edges(Field field) {
        List<String> out = new ArrayList<>();
        Map<String, BigInteger> units = units(field);
        for (BigInteger bound : List.of(field.min(), field.max())) {
            units.forEach((unit, size) -> {
                BigInteger q = bound.divide(size);
                for (BigInteger n : List.of(q.subtract(BigInteger.ONE), q, q.add(BigInteger.ONE))) {
                    out.add(n + unit);
                }
            });
        }
        for (String unit : List.of("", "ms", "h", "d", "g", "t")) {
            for (BigInteger n : List.of(big(Integer.MAX_VALUE), big(Integer.MAX_VALUE).add(BigInteger.ONE),
                    big(Long.MAX_VALUE), big(Long.MAX_VALUE).add(BigInteger.ONE), big(Long.MIN_VALUE),
                    BigInteger.TEN.pow(20), big(99_999_999_999L), big(8_589_934_591L))) {
                out.add(n + unit);
            }
        }
        out.addAll(List.of("", " ", "~", "-1", "-0", "+0", "0", "1", "99999999999h", "8589934591g", "1.5", "1e3",
                "0x10", "\u0663", "\uff15s", "10\u212a", "5 s s", "9".repeat(400) + "s", "0".repeat(400) + "1"));
        return out;
    }

    /** The units of a field's kind, each with its size in the field's unit (1 for a whole number). */
    private static Map<String, BigInteger> units(Field field) {
        return switch (field.kind()) {
            case WHOLE -> Map.of("", BigInteger.ONE);
            case DURATION -> DURATION_UNITS;
            case SIZE -> {
                Map<String, BigInteger> sizes = new java.util.TreeMap<>();
                SIZE_SHIFTS.forEach((u, shift) -> sizes.put(u, BigInteger.ONE.shiftLeft(shift)));
                yield sizes;
            }
        };
    }

    /** A value within the field's bounds, in one of its units, anywhere in the range (the loader must take it). */
    static String within(Random r, Field field) {
        List<Map.Entry<String, BigInteger>> units = new ArrayList<>(new java.util.TreeMap<>(units(field)).entrySet());
        for (int attempt = 0; attempt < 10; attempt++) {
            Map.Entry<String, BigInteger> unit = pick(r, units);
            BigInteger lo = field.min().add(unit.getValue()).subtract(BigInteger.ONE).divide(unit.getValue());
            BigInteger hi = field.max().divide(unit.getValue());
            if (lo.compareTo(hi) <= 0) {
                BigInteger span = hi.subtract(lo).add(BigInteger.ONE);
                BigInteger n = lo.add(new BigInteger(span.bitLength() + 8, r).mod(span));
                return n + (r.nextBoolean() ? unit.getKey() : unit.getKey().toUpperCase(java.util.Locale.ROOT));
            }
        }
        return field.max().toString();
    }

    /** A number near a bound or anywhere, signed or not, in any unit or none, padded with any whitespace; or garbage. */
    static String value(Random r) {
        if (r.nextInt(6) == 0) {
            return garbage(r);
        }
        BigInteger n = switch (r.nextInt(6)) {
            case 0 -> pick(r, EDGE_NUMBERS);
            case 1 -> pick(r, EDGE_NUMBERS).negate();
            case 2 -> big(r.nextInt(20_001));
            case 3 -> big(r.nextInt());
            case 4 -> big(r.nextLong());
            default -> new BigInteger(100, r).subtract(BigInteger.ONE.shiftLeft(r.nextBoolean() ? 99 : 0));
        };
        return pick(r, SPACING) + pick(r, SIGNS) + n + pick(r, SPACING) + pick(r, UNITS) + pick(r, SPACING);
    }

    private static final List<String> SPACING = List.of("", "", "", " ", "\t", "  ", "\n", "\u00a0", "\u0000", "\u2003");
    private static final List<String> SIGNS = List.of("", "", "", "+", "-", "0", "00");
    private static final List<String> UNITS = List.of("", "", "ms", "s", "m", "h", "d", "k", "g", "t", "p", "b", "kb",
            "MB", "Gb", "H", "Ms", "D", "e", "x", "sec", "mib", "\u212a" /* Kelvin sign: lower-cases to k */, "s s",
            ".5s", "0");
    private static final List<String> SPECIAL = List.of("", " ", "~", "null", "true", "1.5", "1e3", "0x10", "0b1", "010",
            "NaN", "Infinity", "-0", "+5", "5 s s", "\u0663", "\u0661\u0660s" /* Arabic-Indic 10s */,
            "\uff15s" /* fullwidth 5 */, "\u00b2m", "10\u212a", "1_000", "1,000", "99999999999h", "8589934591g",
            "9".repeat(400) + "s", "9".repeat(400), "0".repeat(400) + "1m", "\u0000", "5s\u0000", "\ud83d\ude00");

    /** Any characters at all (lone surrogates and controls included), unit soup, or a known troublemaker. */
    static String garbage(Random r) {
        return switch (r.nextInt(3)) {
            case 0 -> chars(r, r.nextInt(13), () -> (char) r.nextInt(0x10000));
            case 1 -> chars(r, r.nextInt(26), () -> "0123456789smhdkgtpb :+-.eE_".charAt(r.nextInt(27)));
            default -> pick(r, SPECIAL);
        };
    }

    static String user(Random r) {
        List<String> ids = List.of("0", "1", "00", "65534", "1000", "2147483646", "2147483647", "2147483648",
                "4294967295", "4294967296", "9999999999", "99999999999", "0000000001", "00000000001", "-1", "+1", " 1", "");
        java.util.function.Supplier<String> id = () -> switch (r.nextInt(3)) {
            case 0 -> pick(r, ids);
            case 1 -> String.valueOf(r.nextInt(Integer.MAX_VALUE) + (r.nextBoolean() ? 1 : 0));
            default -> String.valueOf(Math.floorMod(r.nextLong(), 100_000_000_000L));
        };
        return switch (r.nextInt(5)) {
            case 0 -> id.get();
            case 1, 2 -> id.get() + ":" + id.get();
            case 3 -> r.nextBoolean() ? id.get() + ":" + id.get() + ":" + id.get()
                    : pick(r, List.of("root", "nobody", "0:0", "1000:", ":1000", "1000:1000 ", "\u0661:\u0661", "65534:65534"));
            default -> garbage(r);
        };
    }

    static Map<String, String> environment(Random r) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        int n = r.nextInt(5);
        for (int i = 0; i < n; i++) {
            String name = switch (r.nextInt(4)) {
                case 0 -> chars(r, 1 + r.nextInt(12), () -> "ABCDEFGHIJKLMNOPQRSTUVWXYZ_".charAt(r.nextInt(27)));
                case 1 -> chars(r, r.nextInt(9), () -> "abcdefghijklmnopqrstuvwxyz0123456789_".charAt(r.nextInt(37)));
                case 2 -> pick(r, List.of("FAAS_CONTROL_SOCK", "FAAS_FUNCTION", "FAAS_MODE", "FAAS_STDIO",
                        "FAAS_CLIENT_FD", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "FAAS_", "LISTEN_", "FAAS",
                        "LISTEN", "faas_mode", "_", "PATH", "LD_PRELOAD", "A=B", "A B", "A\nB", "A\u0000",
                        "\u00c4RGER", "1A", "-A", ""));
                default -> garbage(r);
            };
            String value = switch (r.nextInt(5)) {
                case 0 -> chars(r, r.nextInt(17), () -> (char) r.nextInt(0x10000));
                case 1 -> chars(r, r.nextInt(17), () -> (char) ('a' + r.nextInt(26)));
                case 2 -> pick(r, List.of("", "a\u0000b", "\u0000", "\u00e9\u00e9", "\ud83d\ude00"));
                case 3 -> "x".repeat(r.nextInt(70_001));
                default -> "x".repeat(65_400 + r.nextInt(141));
            };
            env.put(name, value);
        }
        return env;
    }

    static List<String> command(Random r) {
        java.util.function.Supplier<String> arg = () -> switch (r.nextInt(4)) {
            case 0 -> chars(r, r.nextInt(13), () -> "abcdefghijklmnopqrstuvwxyz/-_=. ".charAt(r.nextInt(32)));
            case 1 -> chars(r, r.nextInt(7), () -> (char) r.nextInt(0x10000));
            case 2 -> pick(r, List.of("", "\u0000", "a\u0000b", "two words", "\u00e9"));
            default -> "y".repeat(r.nextInt(70_001));
        };
        return switch (r.nextInt(4)) {
            case 0 -> Stream.generate(arg).limit(r.nextInt(7)).toList();
            case 1 -> Stream.generate(() -> chars(r, r.nextInt(4), () -> (char) ('a' + r.nextInt(3))))
                    .limit(250 + r.nextInt(13)).toList();
            case 2 -> Collections.nCopies(250 + r.nextInt(13), "a");
            default -> Collections.nCopies(60 + r.nextInt(11), "z".repeat(1023)); // 64 KiB in all, whatever their number
        };
    }

    static String image(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> chars(r, 1 + r.nextInt(20), () -> "abcdefghijklmnopqrstuvwxyz:/._-@".charAt(r.nextInt(32)));
            case 1 -> chars(r, r.nextInt(21), () -> (char) r.nextInt(0x10000));
            case 2 -> pick(r, List.of("faas-hello:latest", "registry.local:5000/api:1.2", "a b", " a", "a\t",
                    "a\u00a0b", "a\u2003b", "a\u0000", "a\u001b[2J", "a\u0085b", "\u3000", "caf\u00e9", ""));
            default -> "i".repeat(250 + r.nextInt(11));
        };
    }

    private static String chars(Random r, int n, java.util.function.Supplier<Character> c) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(c.get());
        }
        return sb.toString();
    }

    private static <T> T pick(Random r, List<T> from) {
        return from.get(r.nextInt(from.size()));
    }

    // ---- helpers ----

    /**
     * {@code s} as a double-quoted YAML scalar that reads back as exactly {@code s}: quotes, backslashes and
     * every character outside printable ASCII escaped (a surrogate pair as one {@code \U} escape).
     */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '"' || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp >= 0x20 && cp < 0x7f) {
                sb.appendCodePoint(cp);
            } else if (cp > 0xffff) {
                sb.append(String.format("\\U%08x", cp));
            } else {
                sb.append(String.format("\\u%04x", cp));
            }
        }
        return sb.append('"').toString();
    }

    private static String asciiLower(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.chars().forEach(c -> sb.append((char) (c >= 'A' && c <= 'Z' ? c + 32 : c)));
        return sb.toString();
    }

    private static long utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    static BigInteger big(long n) {
        return BigInteger.valueOf(n);
    }

    static BigInteger nanos(Duration d) {
        return BigInteger.valueOf(d.getSeconds()).multiply(BigInteger.valueOf(1_000_000_000)).add(big(d.getNano()));
    }
}
