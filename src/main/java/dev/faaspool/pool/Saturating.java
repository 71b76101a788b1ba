package dev.faaspool.pool;

/** Sums and products of memory sizes that compare, never wrap: Long.MAX_VALUE stands for "more than fits". */
final class Saturating {
    private Saturating() {}

    /** {@code a * b}, or Long.MAX_VALUE where it would overflow: memory sums compare, never wrap. */
    static long multiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) || (hi == -1 && lo < 0) ? lo : Long.MAX_VALUE;
    }

    static long add(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : r;
    }
}
