package io.keel.cli;

import io.keel.client.KeelClient;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** zkCli's {@code getAllChildrenNumber path}. */
@Command(name = "getAllChildrenNumber", sortOptions = false,
    description = {"Prints the number of nodes below a node (children, grandchildren, ...).",
        "Example: keel getAllChildrenNumber /jobs"})
final class GetAllChildrenNumberCommand extends ClientCommand {
  @Parameters(paramLabel = "PATH")
  String path;

  @Override
  int run(KeelClient client) {
    long n = client.getAllChildrenNumber(path);
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", path);
      j.put("count", n);
      out().println(Json.write(j));
    } else {
      out().println(n);
    }
    return ExitCodes.OK;
  }
}
