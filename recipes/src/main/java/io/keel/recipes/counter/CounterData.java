package io.keel.recipes.counter;

import io.keel.client.KeelException;
import java.nio.charset.StandardCharsets;

/**
 * The counter's data: the value as decimal ASCII text ({@code "42"}, {@code "-7"}), so that
 * {@code keel get} shows it and {@code keel set} can write it. Empty data reads as 0 (a node made
 * by {@code keel create} without data starts a counter at 0); surrounding whitespace is ignored.
 * Pure functions; thread-safe.
 */
final class CounterData {
  private CounterData() {}

  static byte[] encode(long value) {
    return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
  }

  /** The value {@code data} holds; MARSHALLINGERROR naming the node if it is not a counter. */
  static long decode(String path, byte[] data) {
    if (data == null || data.length == 0) {
      return 0;
    }
    String text = new String(data, StandardCharsets.US_ASCII).strip();
    if (text.isEmpty()) {
      return 0;
    }
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
      throw KeelException.create(KeelException.Code.MARSHALLINGERROR, path, "node " + path
          + " holds '" + shown + "', not a counter (a 64-bit integer as decimal text)");
    }
  }
}
