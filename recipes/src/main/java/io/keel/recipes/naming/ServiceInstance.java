package io.keel.recipes.naming;

import io.keel.client.KeelException;
import io.keel.recipes.internal.KeyValueText;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One instance of a service: where to reach it and what else clients should know. Immutable.
 *
 * <p>Stored at {@code <base>/<name>/<id>} as {@code key=value} text ({@link java.util.Properties}
 * syntax, UTF-8, sorted): {@code address}, {@code port}, and {@code meta.<key>} per metadata
 * entry; any tool can read it.
 *
 * @param name     the service, one path element (e.g. {@code orders-api})
 * @param id       this instance, unique within the service, one path element
 * @param address  host name or IP address
 * @param port     0 to 65535
 * @param metadata anything else (version, zone, weight...), sorted by key
 */
public record ServiceInstance(String name, String id, String address, int port,
                              Map<String, String> metadata) {
  private static final String META = "meta.";

  public ServiceInstance {
    checkElement("service name", name);
    checkElement("instance id", id);
    if (address == null || address.isEmpty()) {
      throw bad("instance " + id + " needs an address");
    }
    if (port < 0 || port > 65535) {
      throw bad("port must be 0 to 65535, got " + port);
    }
    if (metadata == null
        || metadata.entrySet().stream().anyMatch(e -> e.getKey() == null || e.getValue() == null)) {
      throw bad("metadata must be a map without null keys or values");
    }
    metadata = Collections.unmodifiableSortedMap(new TreeMap<>(metadata));
  }

  /** An instance without metadata. */
  public static ServiceInstance of(String name, String id, String address, int port) {
    return new ServiceInstance(name, id, address, port, Map.of());
  }

  /** This instance with {@code metadata} instead of its own. */
  public ServiceInstance withMetadata(Map<String, String> metadata) {
    return new ServiceInstance(name, id, address, port, metadata);
  }

  /** {@code host:port}. */
  public String hostAndPort() {
    return address.contains(":") ? "[" + address + "]:" + port : address + ":" + port;
  }

  /** The node data this instance is stored as. */
  public byte[] toBytes() {
    TreeMap<String, String> text = new TreeMap<>();
    text.put("address", address);
    text.put("port", Integer.toString(port));
    metadata.forEach((k, v) -> text.put(META + k, v));
    return KeyValueText.encode(text);
  }

  /**
   * The instance stored in {@code data} at {@code <base>/<name>/<id>}.
   *
   * @throws KeelException BADARGUMENTS naming the node if the data is not an instance
   */
  public static ServiceInstance fromBytes(String name, String id, byte[] data) {
    String where = name + "/" + id;
    SortedMap<String, String> text = KeyValueText.decode(data, where);
    String port = text.get("port");
    if (text.get("address") == null || port == null || !port.matches("\\d{1,5}")) {
      throw bad("the data of instance " + where + " has no address or no valid port");
    }
    TreeMap<String, String> metadata = new TreeMap<>();
    text.forEach((k, v) -> {
      if (k.startsWith(META)) {
        metadata.put(k.substring(META.length()), v);
      }
    });
    return new ServiceInstance(name, id, text.get("address"), Integer.parseInt(port), metadata);
  }

  /** Fails with BADARGUMENTS unless {@code s} can be one element of a path. */
  static void checkElement(String what, String s) {
    if (s == null || s.isEmpty() || s.contains("/") || s.equals(".") || s.equals("..")
        || s.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw bad(what + " must be one non-empty path element, got '" + s + "'");
    }
  }

  private static KeelException bad(String message) {
    return KeelException.create(KeelException.Code.BADARGUMENTS, null, message);
  }
}
