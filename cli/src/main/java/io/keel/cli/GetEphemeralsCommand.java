package io.keel.cli;

import io.keel.client.KeelClient;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** zkCli's {@code getEphemerals [path]}. */
@Command(name = "getEphemerals", sortOptions = false,
    description = {"Prints the ephemeral nodes of this command's own session whose path starts "
        + "with PATH, as [/a, /b].",
        "As in ZooKeeper, this is the session of the command itself: from the system shell a "
            + "new one, so the answer is always []; in keel shell the shell's session, so the "
            + "ephemerals created in it. It is not a listing of other sessions' ephemerals.",
        "Example: keel getEphemerals /workers"})
final class GetEphemeralsCommand extends ClientCommand {
  @Parameters(paramLabel = "PATH", arity = "0..1", defaultValue = "/",
      description = "Path prefix (default: /, all).")
  String prefix;

  @Override
  int run(KeelClient client) {
    List<String> paths = client.getEphemerals(prefix);
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("prefix", prefix);
      j.put("paths", paths);
      out().println(Json.write(j));
    } else {
      out().println(paths);
    }
    return ExitCodes.OK;
  }
}
