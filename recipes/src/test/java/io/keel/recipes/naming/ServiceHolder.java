package io.keel.recipes.naming;

import io.keel.client.KeelClient;
import java.time.Duration;
import java.util.Map;

/**
 * A separate JVM that keeps one service instance registered until it is killed: {@code
 * ServiceHolder CONNECT_STRING SESSION_TIMEOUT_MS SERVICE ID PORT}. Prints {@code READY
 * <sessionId>} once registered.
 */
public final class ServiceHolder {
  private ServiceHolder() {}

  public static void main(String[] args) throws Exception {
    KeelClient client = KeelClient.builder(args[0])
        .sessionTimeout(Duration.ofMillis(Long.parseLong(args[1])))
        .build();
    new ServiceRegistry(client).register(new ServiceInstance(args[2], args[3], "127.0.0.1",
        Integer.parseInt(args[4]), Map.of("jvm", "separate")));
    System.out.println("READY " + client.sessionId());
    System.out.flush();
    // Held until the test kills this JVM; reading stdin ends if the test itself dies.
    while (System.in.read() >= 0) {
      // keep going
    }
  }
}
