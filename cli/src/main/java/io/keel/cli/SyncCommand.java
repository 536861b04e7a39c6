package io.keel.cli;

import io.keel.client.KeelClient;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** zkCli's {@code sync path}. */
@Command(name = "sync", sortOptions = false,
    description = {"Brings the server this command reads from up to date with the leader and "
        + "prints \"Sync is OK\" (zkCli's words). The node need not exist (as in ZooKeeper).",
        "Example: keel sync /config"})
final class SyncCommand extends ClientCommand {
  @Parameters(paramLabel = "PATH")
  String path;

  @Override
  int run(KeelClient client) {
    client.sync(path);
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", path);
      j.put("synced", true);
      out().println(Json.write(j));
    } else {
      out().println("Sync is OK");
    }
    return ExitCodes.OK;
  }
}
