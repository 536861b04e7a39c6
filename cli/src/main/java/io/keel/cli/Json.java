package io.keel.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keel.client.Stat;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --output json}: ordered maps of plain values, written by Jackson. */
final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();

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
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      // Only maps, lists, strings, numbers and booleans are written: this cannot happen.
      throw new IllegalStateException("cannot write JSON for " + value, e);
    }
  }
}
