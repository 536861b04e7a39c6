package io.keel.cli;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.client.Stat;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** zkCli's {@code stat path}. */
@Command(name = "stat",
    description = {"Prints a node's stat (zkCli's format).", "Example: keel stat /config"})
final class StatCommand extends ClientCommand {
  @Parameters(paramLabel = "PATH")
  String path;

  @Override
  int run(KeelClient client) {
    Stat stat = client.exists(path).orElseThrow(() ->
        KeelException.create(KeelException.Code.NONODE, path, "no node at " + path));
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", path);
      j.put("stat", Json.stat(stat));
      out().println(Json.write(j));
    } else {
      printStat(out(), stat);
    }
    return ExitCodes.OK;
  }
}
