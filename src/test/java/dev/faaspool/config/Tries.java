package dev.faaspool.config;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * A property checked on many generated values, on JUnit Jupiter alone: a seeded {@link Random} (a new seed each
 * run, so runs explore different values; {@code -Dfaaspool.seed=N} repeats one), every failure naming the
 * property, the seed, the try and the value, and a line per property with how many tries it ran and how they
 * came out.
 */
public final class Tries {
    /** One seed per run; each property derives its own from it and its name. */
    public static final long SEED = Long.getLong("faaspool.seed", new Random().nextLong());

    private final String property;
    private final Random random;
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private int tries;

    public Tries(String property) {
        this.property = property;
        this.random = new Random(SEED ^ property.hashCode());
    }

    public Random random() {
        return random;
    }

    /** A check of one value that may throw anything; what it throws fails the property, naming the value. */
    @FunctionalInterface
    public interface Check<T> {
        /** Returns how the try came out (for example {@code accepted} or {@code rejected}), for the count. */
        String run(T value) throws Throwable;
    }

    /** Runs {@code check} on {@code value} as one try. */
    public <T> void check(T value, Check<T> check) {
        tries++;
        try {
            outcomes.merge(check.run(value), 1, Integer::sum);
        } catch (Throwable t) {
            throw new AssertionError(property + " failed at try " + tries + " (-Dfaaspool.seed=" + SEED + ") for "
                    + describe(value) + ": " + t, t);
        }
    }

    /** How many values were tried. */
    public int tries() {
        return tries;
    }

    /** Prints how many tries the property ran, with the seed and the outcomes, for the test log. */
    public void report() {
        System.out.println(property + ": " + tries + " tries (seed " + SEED + "): " + outcomes);
    }

    /** {@code value} for a failure message: Java-escaped and cut, since it may be 70000 characters long. */
    public static String describe(Object value) {
        String s = String.valueOf(value);
        String cut = s.length() > 200 ? s.substring(0, 200) + "...(" + s.length() + " chars)" : s;
        StringBuilder sb = new StringBuilder("'");
        cut.chars().forEach(c -> sb.append(c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
        return sb.append('\'').toString();
    }
}
