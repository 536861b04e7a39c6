package io.keel.cli;

import io.keel.client.KeelClient;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** zkCli's {@code delete [-v version] path}. */
@Command(name = "delete", sortOptions = false,
    description = {"Deletes a node that has no children; prints nothing.",
        "Example: keel delete -v 2 /config"})
final class DeleteCommand extends ClientCommand {
  @Option(names = "-v", paramLabel = "VERSION", defaultValue = "-1",
      description = "Only if the data version is VERSION (default -1: any).")
  int version;

  @Parameters(paramLabel = "PATH")
  String path;

  @Override
  int run(KeelClient client) {
    client.delete(path, version);
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", path);
      j.put("deleted", true);
      out().println(Json.write(j));
    }
    return ExitCodes.OK;
  }
}
