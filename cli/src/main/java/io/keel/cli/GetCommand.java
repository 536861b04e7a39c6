package io.keel.cli;

import io.keel.client.KeelClient;
import io.keel.client.NodeData;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** zkCli's {@code get [-s] path}. */
@Command(name = "get", sortOptions = false,
    description = {"Prints a node's data as UTF-8; with -s, its stat too.",
        "Example: keel get -s /config"})
final class GetCommand extends ClientCommand {
  @Option(names = "-s", description = "Also print the stat (zkCli's format).")
  boolean withStat;

  @Parameters(paramLabel = "PATH")
  String path;

  @Override
  int run(KeelClient client) {
    NodeData d = client.getData(path);
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", path);
      putData(j, d.data());
      j.put("stat", Json.stat(d.stat()));
      out().println(Json.write(j));
    } else {
      out().println(new String(d.data(), StandardCharsets.UTF_8));
      if (withStat) {
        printStat(out(), d.stat());
      }
    }
    return ExitCodes.OK;
  }
}
