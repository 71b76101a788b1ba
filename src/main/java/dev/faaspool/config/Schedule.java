package dev.faaspool.config;

import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A time-of-day floor for a known peak: on {@code days}, from {@code from} until {@code to} (local
 * time of the pool's time zone; {@code to} before {@code from} runs past midnight), keep at least
 * {@code min} containers warm ({@code 0..}{@link Bounds#MAX_CONTAINERS}, and at most the function's max).
 */
public record Schedule(Set<DayOfWeek> days, LocalTime from, LocalTime to, int min) {

    public Schedule {
        days = Set.copyOf(days);
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (days.isEmpty()) {
            throw new IllegalArgumentException("days must name at least one day");
        }
        if (from.equals(to)) {
            throw new IllegalArgumentException("from and to must differ (both " + from + ")");
        }
        if (min < 0 || min > Bounds.MAX_CONTAINERS) {
            throw new IllegalArgumentException("min must be within 0.." + Bounds.MAX_CONTAINERS + " (was " + min + ")");
        }
    }

    /** Whether {@code t} falls in this schedule's window; an overnight window belongs to the day it starts. */
    public boolean covers(ZonedDateTime t) {
        LocalTime time = t.toLocalTime();
        if (from.isBefore(to)) {
            return days.contains(t.getDayOfWeek()) && !time.isBefore(from) && time.isBefore(to);
        }
        return (days.contains(t.getDayOfWeek()) && !time.isBefore(from))
                || (days.contains(t.getDayOfWeek().minus(1)) && time.isBefore(to));
    }

    /**
     * Parses days as {@code mon-fri}, {@code sat,sun}, {@code mon,wed-fri} or {@code daily}.
     *
     * @throws IllegalArgumentException stating the accepted form
     */
    public static Set<DayOfWeek> parseDays(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("daily") || t.equals("*")) {
            return EnumSet.allOf(DayOfWeek.class);
        }
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (String part : t.split(",")) {
            String[] range = part.trim().split("-");
            if (range.length > 2) {
                throw badDays(text);
            }
            DayOfWeek a = day(range[0], text);
            DayOfWeek b = range.length == 2 ? day(range[1], text) : a;
            for (DayOfWeek d = a; ; d = d.plus(1)) {
                days.add(d);
                if (d == b) {
                    break;
                }
            }
        }
        return days;
    }

    private static DayOfWeek day(String s, String text) {
        for (DayOfWeek d : DayOfWeek.values()) {
            if (d.name().substring(0, 3).equalsIgnoreCase(s.trim())) {
                return d;
            }
        }
        throw badDays(text);
    }

    private static IllegalArgumentException badDays(String text) {
        return new IllegalArgumentException("'" + text + "' is not a set of days; use three-letter days with , and -,"
                + " for example mon-fri or sat,sun, or daily");
    }
}
