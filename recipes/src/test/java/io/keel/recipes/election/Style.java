package io.keel.recipes.election;

import io.keel.client.KeelClient;

/** The two election styles, so each test runs against both. */
enum Style {
  SEQUENTIAL {
    @Override
    Election create(KeelClient client, String path, String id) {
      return new LeaderElection(client, path, id);
    }
  },
  EPHEMERAL {
    @Override
    Election create(KeelClient client, String path, String id) {
      return new EphemeralLeaderElection(client, path, id);
    }
  };

  abstract Election create(KeelClient client, String path, String id);
}
