package io.keel.session;

import io.keel.client.CreateMode;
import io.keel.client.KeelClient;
import java.time.Duration;

/**
 * A separate JVM that owns one ephemeral node until it is killed: {@code EphemeralHolder
 * CONNECT_STRING SESSION_TIMEOUT_MS PATH}. Prints {@code READY <sessionId>} once the node exists.
 */
public final class EphemeralHolder {
  private EphemeralHolder() {}

  public static void main(String[] args) throws Exception {
    KeelClient client = KeelClient.builder(args[0])
        .sessionTimeout(Duration.ofMillis(Long.parseLong(args[1])))
        .build();
    client.create(args[2], null, CreateMode.EPHEMERAL);
    System.out.println("READY " + client.sessionId());
    System.out.flush();
    // Held until the test kills this JVM; reading stdin ends if the test itself dies.
    while (System.in.read() >= 0) {
      // keep going
    }
  }
}
