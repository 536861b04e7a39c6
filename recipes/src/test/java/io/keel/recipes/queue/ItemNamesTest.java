package io.keel.recipes.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The item names sort, from the names alone, as (priority, counter) does: a naive model. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ItemNamesTest {
  record Item(int priority, long counter) {
    String name() {
      String digits = String.format("%010d", counter);  // wider past 10 digits, as the server
      return ItemNames.prefix(priority) + digits;
    }
  }

  @Test
  void namesSortAsPriorityThenCounter() {
    Random random = new Random(42);  // fixed seed: a failure replays
    int[] edges = {Integer.MIN_VALUE, -1, 0, 1, Integer.MAX_VALUE};
    for (int round = 0; round < 200; round++) {
      List<Item> items = new ArrayList<>();
      int n = 1 + random.nextInt(40);
      for (int i = 0; i < n; i++) {
        int priority = random.nextBoolean() ? edges[random.nextInt(edges.length)]
            : random.nextInt(7) - 3;
        long counter = random.nextBoolean() ? random.nextInt(1000)
            : 9_999_999_000L + random.nextInt(2000);
        items.add(new Item(priority, counter));
      }
      List<String> expected = items.stream()
          .sorted(Comparator.comparingInt(Item::priority).thenComparingLong(Item::counter))
          .map(Item::name).toList();
      List<String> names = new ArrayList<>(items.stream().map(Item::name).toList());
      names.add("_c_junk");
      names.add("item-zz-0000000001");
      names.add("claims");
      assertEquals(expected, ItemNames.sorted(names));
      for (Item item : items) {
        assertEquals(item.priority(), ItemNames.priority(item.name()));
      }
    }
  }

  @Test
  void onlyItemNamesCount() {
    assertTrue(ItemNames.isItem(ItemNames.prefix(0) + "0000000000"));
    assertFalse(ItemNames.isItem("item-0000000001"));
    assertFalse(ItemNames.isItem(ItemNames.prefix(0)));
    assertFalse(ItemNames.isItem("item-8000000g-0000000001"));
  }
}
