package io.keel.recipes.config;

import io.keel.client.KeelException;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An immutable, typed view of string config: keys to values, each remembering the node it came
 * from, with getters that parse on demand. A value that does not parse fails with a
 * {@link KeelException.BadArgumentsException} naming the key, the value and its node; a missing
 * key gives the default. Values are trimmed before parsing. Thread-safe.
 *
 * <p>Durations are written {@code <n>ms}, {@code <n>s}, {@code <n>m}, {@code <n>h}, {@code <n>d}
 * or ISO-8601 ({@code PT30S}); booleans {@code true} or {@code false} (any case).
 */
public final class ConfigView {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h|d)");

  /** No keys at all. */
  public static final ConfigView EMPTY = new ConfigView(new TreeMap<>(), Map.of());

  private final SortedMap<String, String> values;
  private final Map<String, String> sources;

  private ConfigView(TreeMap<String, String> values, Map<String, String> sources) {
    this.values = Collections.unmodifiableSortedMap(values);
    this.sources = sources;
  }

  /** A view of {@code values}, all from {@code source} (a node path, or any label). */
  public static ConfigView of(Map<String, String> values, String source) {
    return EMPTY.overriddenBy(values, source);
  }

  /** This view with {@code override}'s keys (from {@code source}) replacing its own. */
  ConfigView overriddenBy(Map<String, String> override, String source) {
    TreeMap<String, String> merged = new TreeMap<>(values);
    TreeMap<String, String> from = new TreeMap<>(sources);
    override.forEach((k, v) -> {
      merged.put(k, v);
      from.put(k, source);
    });
    return new ConfigView(merged, Collections.unmodifiableMap(from));
  }

  /** Every key and its raw value, sorted. */
  public SortedMap<String, String> asMap() {
    return values;
  }

  public Optional<String> get(String key) {
    return Optional.ofNullable(values.get(key));
  }

  /** The node (or label) the key's value came from. */
  public Optional<String> source(String key) {
    return Optional.ofNullable(sources.get(key));
  }

  /** The value of a key that must be there. */
  public String getString(String key) {
    String v = values.get(key);
    if (v == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, null,
          "config key '" + key + "' is missing");
    }
    return v;
  }

  public String getString(String key, String defaultValue) {
    return values.getOrDefault(key, defaultValue);
  }

  public int getInt(String key, int defaultValue) {
    return typed(key, defaultValue, "an int", Integer::parseInt);
  }

  public long getLong(String key, long defaultValue) {
    return typed(key, defaultValue, "a long", Long::parseLong);
  }

  public boolean getBoolean(String key, boolean defaultValue) {
    return typed(key, defaultValue, "a boolean (true or false)", v -> switch (v.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException(v);
    });
  }

  public Duration getDuration(String key, Duration defaultValue) {
    return typed(key, defaultValue, "a duration such as 500ms, 30s, 5m, 2h, 1d or PT30S",
        ConfigView::parseDuration);
  }

  private <T> T typed(String key, T defaultValue, String type, Function<String, T> parse) {
    String raw = values.get(key);
    if (raw == null) {
      return defaultValue;
    }
    try {
      return parse.apply(raw.trim());
    } catch (RuntimeException e) {
      String from = sources.get(key);
      throw KeelException.create(KeelException.Code.BADARGUMENTS, from != null && from.startsWith("/") ? from : null,
          "config key '" + key + "' is '" + raw + "' (from " + from + "), not " + type);
    }
  }

  private static Duration parseDuration(String v) {
    if (v.startsWith("P") || v.startsWith("p")) {
      Duration d = Duration.parse(v);
      if (d.isNegative()) {
        throw new IllegalArgumentException("negative");
      }
      return d;
    }
    Matcher m = DURATION.matcher(v);
    if (!m.matches()) {
      throw new IllegalArgumentException(v);
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConfigView v && values.equals(v.values) && sources.equals(v.sources);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return "ConfigView" + values;
  }
}
