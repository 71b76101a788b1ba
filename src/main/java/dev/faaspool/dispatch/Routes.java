package dev.faaspool.dispatch;

import java.util.Map;

/**
 * Which function a request head names, for the HTTP front listener: by the path prefix
 * {@code /function/<name>} (OpenFaaS's gateway convention), else by its {@code Host} against each
 * function's {@code hosts:}. Immutable; a reload builds a new one. Pure.
 *
 * <p>The path is matched as sent, not percent-decoded: function names are {@code [a-z0-9-]}, so an
 * encoded spelling of one is simply not that name. The handler sees the whole path, prefix included
 * (nothing of the request is consumed or rewritten).
 *
 * @param byName every routed function by name
 * @param byHost functions by the host names they claim (lowercase, no port)
 * @param <T>    what a route leads to (a function's dispatcher in production)
 */
public record Routes<T>(Map<String, T> byName, Map<String, T> byHost) {
    static final String PREFIX = "/function/";

    public Routes {
        byName = Map.copyOf(byName);
        byHost = Map.copyOf(byHost);
    }

    /** The function {@code head} asks for, or null (answered 404). */
    public T route(HttpHead head) {
        String p = head.path();
        if (p.startsWith(PREFIX)) {
            int end = p.indexOf('/', PREFIX.length());
            T t = byName.get(p.substring(PREFIX.length(), end < 0 ? p.length() : end));
            if (t != null) {
                return t;
            }
        }
        return head.host().isEmpty() ? null : byHost.get(head.host());
    }
}
