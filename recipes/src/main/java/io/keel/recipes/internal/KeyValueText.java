package io.keel.recipes.internal;

import io.keel.client.KeelException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * String maps as node data: {@link Properties} text in UTF-8, one {@code key=value} line per
 * entry, keys sorted, no date comment; so equal maps give equal bytes and a human can edit the
 * node with any tool. Pure functions; thread-safe.
 */
public final class KeyValueText {
  private KeyValueText() {}

  /** The text of {@code map}: sorted, escaped so that {@link #decode} gives the map back. */
  public static byte[] encode(Map<String, String> map) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> e : new TreeMap<>(map).entrySet()) {
      escape(e.getKey(), true, out);
      out.append('=');
      escape(e.getValue(), false, out);
      out.append('\n');
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The map in {@code data} (null or empty: no entries), read by {@link Properties}'s rules.
   *
   * @throws KeelException BADARGUMENTS naming {@code path} if the text is malformed
   */
  public static SortedMap<String, String> decode(byte[] data, String path) {
    TreeMap<String, String> out = new TreeMap<>();
    if (data == null || data.length == 0) {
      return Collections.unmodifiableSortedMap(out);
    }
    Properties p = new Properties();
    try {
      p.load(new StringReader(new String(data, StandardCharsets.UTF_8)));
    } catch (IOException | IllegalArgumentException e) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, path,
          "the data of " + path + " is not key=value text: " + e.getMessage());
    }
    p.forEach((k, v) -> out.put((String) k, (String) v));
    return Collections.unmodifiableSortedMap(out);
  }

  private static void escape(String s, boolean key, StringBuilder out) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\f' -> out.append("\\f");
        // Separators and comment marks; a value's leading blank would be skipped when read.
        case '=', ':', '#', '!' -> out.append('\\').append(c);
        case ' ' -> out.append(key || i == 0 ? "\\ " : " ");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
  }
}
