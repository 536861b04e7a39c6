package io.keel.recipes.config;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keel.recipes.internal.KeyValueText;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The text the config and naming recipes store: any map survives the trip, bytes are stable. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class KeyValueTextTest {
  private static final String TRICKY = " =:#!\\\n\r\t\f\u0000\u0001\u007féü€😀ab";

  @Test
  void anyMapSurvivesTheRoundTrip() {
    Random random = new Random(42);  // fixed: a failure can be replayed
    for (int round = 0; round < 2000; round++) {
      Map<String, String> map = new TreeMap<>();
      int n = random.nextInt(6);
      for (int i = 0; i < n; i++) {
        map.put(word(random, 1), word(random, 0));
      }
      byte[] text = KeyValueText.encode(map);
      assertEquals(map, KeyValueText.decode(text, "/x"), new String(text, UTF_8));
      assertArrayEquals(text, KeyValueText.encode(new TreeMap<>(map).descendingMap()), "order-independent");
    }
  }

  @Test
  void theTextIsPlainAndSorted() {
    assertEquals("a=1\nb\\ c=x\\=y\nd=\\ lead and trail \n",
        new String(KeyValueText.encode(Map.of("d", " lead and trail ", "a", "1", "b c", "x=y")), UTF_8));
    assertEquals(Map.of(), KeyValueText.decode(null, "/x"));
    assertEquals(Map.of("k", "v"), KeyValueText.decode("# comment\n  k = v\n".getBytes(UTF_8), "/x"));
  }

  private static String word(Random random, int minLength) {
    int length = minLength + random.nextInt(8);
    StringBuilder b = new StringBuilder();
    while (b.length() < length) {
      int at = random.nextInt(TRICKY.length());
      char c = TRICKY.charAt(at);
      if (Character.isSurrogate(c)) {
        b.append(TRICKY, at - (Character.isLowSurrogate(c) ? 1 : 0), at + (Character.isLowSurrogate(c) ? 1 : 2));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
