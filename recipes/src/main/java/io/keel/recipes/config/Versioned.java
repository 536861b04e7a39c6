package io.keel.recipes.config;

import io.keel.client.Stat;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A node's value as a config cache saw it: its data and stat, read together at one zxid; or the
 * absence of the node ({@link #ABSENT}). Immutable: the data is copied in and out.
 *
 * @param data the node's data (empty, never null, for a node without data); null when absent
 * @param stat the node's stat; null when absent
 */
public record Versioned(byte[] data, Stat stat) {
  /**
   * The expected version meaning "no such node": {@code trySet(NO_NODE, value)} creates the node
   * only if it is not there. Unlike ZooKeeper's -1 it never means "any version".
   */
  public static final int NO_NODE = -1;

  /** No node at the path. */
  public static final Versioned ABSENT = new Versioned(null, null);

  public Versioned {
    if (stat == null) {
      data = null;
    } else {
      data = data == null ? new byte[0] : data.clone();
    }
  }

  @Override
  public byte[] data() {
    return data == null ? null : data.clone();
  }

  public boolean exists() {
    return stat != null;
  }

  /** The node's data version, or {@link #NO_NODE}: what to pass to a compare-and-set. */
  public int version() {
    return stat == null ? NO_NODE : stat.version();
  }

  /** The data as UTF-8 text, or null when absent. */
  public String text() {
    return data == null ? null : new String(data, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Versioned v && Arrays.equals(data, v.data) && Objects.equals(stat, v.stat);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(data) + Objects.hashCode(stat);
  }

  @Override
  public String toString() {
    return stat == null ? "Versioned[absent]"
        : "Versioned[version=" + stat.version() + ", mzxid=" + stat.mzxid() + ", " + data.length + " bytes]";
  }
}
