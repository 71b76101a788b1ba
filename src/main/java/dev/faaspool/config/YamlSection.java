package dev.faaspool.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * One YAML mapping of a configuration file, read field by field. Every error it raises names the
 * file, the line of the offending node and the dotted field path, so a typo fails at start-up where
 * it was written rather than later where it is used.
 */
final class YamlSection {
    private static final Pattern WHOLE = Pattern.compile("[+-]?[0-9]+");

    private final Path file;
    private final String path;
    private final Node node;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();

    private YamlSection(Path file, String path, Node node) throws ConfigException {
        this.file = file;
        this.path = path;
        this.node = node;
        if (node == null) {
            return;
        }
        if (!(node instanceof MappingNode mapping)) {
            throw new ConfigException(file, line(node), path, "must be a mapping of keys to values");
        }
        for (NodeTuple tuple : mapping.getValue()) {
            if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                throw new ConfigException(file, line(tuple.getKeyNode()), path, "keys must be plain names");
            }
            if (entries.putIfAbsent(key.getValue(), tuple) != null) {
                throw new ConfigException(file, line(key), child(key.getValue()),
                        "appears twice (first on line " + line(entries.get(key.getValue()).getKeyNode()) + ")");
            }
        }
    }

    /** The top of a document; an empty document reads as an empty mapping. */
    static YamlSection root(Path file, Node node) throws ConfigException {
        return new YamlSection(file, "", node);
    }

    Set<String> keys() {
        return entries.keySet();
    }

    boolean has(String key) {
        return entries.containsKey(key);
    }

    /** Rejects keys this section does not define, naming the ones it does. */
    void allowOnly(Set<String> allowed) throws ConfigException {
        for (Map.Entry<String, NodeTuple> e : entries.entrySet()) {
            if (!allowed.contains(e.getKey())) {
                throw new ConfigException(file, line(e.getValue().getKeyNode()), child(e.getKey()),
                        "unknown field; expected one of " + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
    }

    YamlSection section(String key) throws ConfigException {
        NodeTuple t = entries.get(key);
        return new YamlSection(file, child(key), t == null ? null : t.getValueNode());
    }

    /** The sub-sections of a mapping whose keys are names, in file order. */
    Map<String, YamlSection> namedSections(String key) throws ConfigException {
        YamlSection outer = section(key);
        Map<String, YamlSection> out = new LinkedHashMap<>();
        for (String name : outer.keys()) {
            out.put(name, outer.section(name));
        }
        return out;
    }

    /** The mappings of a list, for example {@code schedules: [{days: mon-fri, ...}]}; empty when absent. */
    List<YamlSection> sections(String key) throws ConfigException {
        NodeTuple t = entries.get(key);
        if (t == null) {
            return List.of();
        }
        if (!(t.getValueNode() instanceof SequenceNode seq)) {
            throw error(key, "must be a list");
        }
        List<YamlSection> out = new ArrayList<>();
        int i = 0;
        for (Node item : seq.getValue()) {
            out.add(new YamlSection(file, child(key) + "[" + i++ + "]", item));
        }
        return out;
    }

    String string(String key, String fallback) throws ConfigException {
        NodeTuple t = entries.get(key);
        return t == null ? fallback : scalar(key, t.getValueNode());
    }

    String requiredString(String key) throws ConfigException {
        if (!entries.containsKey(key)) {
            throw new ConfigException(file, line(node), child(key), "is required");
        }
        String s = string(key, null);
        if (s.isBlank()) {
            throw error(key, "must not be empty");
        }
        return s;
    }

    /**
     * A whole number (ASCII digits, optionally signed) within {@code min..max}; {@code fallback} when absent.
     * A number of any length out of range is reported with the bound it breaks, never as an overflow.
     */
    int integer(String key, int fallback, long min, long max) throws ConfigException {
        String s = string(key, null);
        if (s == null) {
            return fallback;
        }
        String t = s.trim();
        if (!WHOLE.matcher(t).matches()) {
            throw error(key, "'" + s + "' is not a whole number");
        }
        long v;
        try {
            v = Long.parseLong(t);
        } catch (NumberFormatException e) { // more digits than a long: beyond either bound
            v = t.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        if (v < min) {
            throw error(key, "must be >= " + min + " (was " + t + ")");
        }
        if (v > max) {
            throw error(key, "must be <= " + max + " (was " + t + ")");
        }
        return Math.toIntExact(v);
    }

    /** A duration of at most {@code max} ({@link Units#parseDuration(String, Duration)}); {@code fallback} when absent. */
    Duration duration(String key, Duration fallback, Duration max) throws ConfigException {
        String s = string(key, null);
        try {
            return s == null ? fallback : Units.parseDuration(s, max);
        } catch (IllegalArgumentException e) {
            throw error(key, e.getMessage());
        }
    }

    /** A size of at most {@code max} bytes ({@link Units#parseBytes(String, long)}); {@code fallback} when absent. */
    long bytes(String key, long fallback, long max) throws ConfigException {
        String s = string(key, null);
        try {
            return s == null ? fallback : Units.parseBytes(s, max);
        } catch (IllegalArgumentException e) {
            throw error(key, e.getMessage());
        }
    }

    List<String> strings(String key) throws ConfigException {
        NodeTuple t = entries.get(key);
        if (t == null) {
            return List.of();
        }
        if (!(t.getValueNode() instanceof SequenceNode seq)) {
            throw error(key, "must be a list, for example [\"/hello\", \"--flag\"]");
        }
        List<String> out = new ArrayList<>();
        for (Node item : seq.getValue()) {
            out.add(scalar(key, item));
        }
        return out;
    }

    Map<String, String> stringMap(String key) throws ConfigException {
        YamlSection s = section(key);
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : s.keys()) {
            out.put(k, s.string(k, ""));
        }
        return out;
    }

    /** An error about the value of {@code key}, at its line. */
    ConfigException error(String key, String reason) {
        NodeTuple t = entries.get(key);
        return new ConfigException(file, t == null ? line(node) : line(t.getValueNode()), child(key), reason);
    }

    /** An error about the key {@code key} itself (a name it may not have), at the key's line, in this section. */
    ConfigException keyError(String key, String reason) {
        NodeTuple t = entries.get(key);
        return new ConfigException(file, t == null ? line(node) : line(t.getKeyNode()), path, reason);
    }

    /** An error about this section as a whole (a rule across its fields), at its first line. */
    ConfigException error(String reason) {
        return new ConfigException(file, line(node), path, reason);
    }

    private String scalar(String key, Node value) throws ConfigException {
        if (!(value instanceof ScalarNode s)) {
            throw new ConfigException(file, line(value), child(key), "must be a single value");
        }
        return s.getValue();
    }

    /** The dotted path of {@code key} in this section, for example {@code functions.hello.env-file}. */
    String field(String key) {
        return child(key);
    }

    private String child(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static int line(Node n) {
        return n == null ? 0 : n.getStartMark().getLine() + 1;
    }
}
