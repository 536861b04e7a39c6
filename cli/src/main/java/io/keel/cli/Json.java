package io.keel.cli;

import io.keel.client.Stat;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/** Just enough JSON writing for {@code --output json}: maps, lists, strings, numbers, booleans. */
final class Json {
  private Json() {}

  /** An insertion-ordered object to fill and {@link #write}. */
  static Map<String, Object> object() {
    return new LinkedHashMap<>();
  }

  static Map<String, Object> stat(Stat s) {
    Map<String, Object> m = object();
    m.put("czxid", s.czxid());
    m.put("mzxid", s.mzxid());
    m.put("pzxid", s.pzxid());
    m.put("ctime", s.ctime());
    m.put("mtime", s.mtime());
    m.put("version", s.version());
    m.put("cversion", s.cversion());
    m.put("aversion", s.aversion());
    m.put("ephemeralOwner", s.ephemeralOwner());
    m.put("dataLength", s.dataLength());
    m.put("numChildren", s.numChildren());
    return m;
  }

  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      quote(sb, s);
    } else if (v instanceof Double d) {
      sb.append(d.isNaN() || d.isInfinite() ? "null" : d.toString());
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        quote(sb, String.valueOf(e.getKey()));
        sb.append(':');
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof Collection<?> c) {
      sb.append('[');
      boolean first = true;
      for (Object o : c) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        write(sb, o);
      }
      sb.append(']');
    } else {
      quote(sb, v.toString());
    }
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
