package io.keel.recipes.queue;

import java.nio.charset.StandardCharsets;

/**
 * Turns queue elements into node data and back. Implementations must be thread-safe and must not
 * return null; the bytes must fit the cluster's {@code maxDataBytes} (1 MiB by default).
 */
public interface Serializer<E> {
  byte[] serialize(E element);

  E deserialize(byte[] data);

  /** Elements that are byte arrays already (stored as they are). */
  static Serializer<byte[]> bytes() {
    return new Serializer<>() {
      @Override
      public byte[] serialize(byte[] element) {
        return element.clone();
      }

      @Override
      public byte[] deserialize(byte[] data) {
        return data;
      }
    };
  }

  /** Strings, as UTF-8. */
  static Serializer<String> utf8() {
    return new Serializer<>() {
      @Override
      public byte[] serialize(String element) {
        return element.getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public String deserialize(byte[] data) {
        return new String(data, StandardCharsets.UTF_8);
      }
    };
  }
}
