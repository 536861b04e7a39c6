package io.keel.cli;

import io.keel.client.KeelClient;
import io.keel.client.Stat;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** zkCli's {@code set [-s] [-v version] path data}. */
@Command(name = "set", sortOptions = false,
    description = {"Replaces a node's data; prints nothing unless -s.",
        "Example: keel set -v 3 /config '{\"x\":1}'"})
final class SetCommand extends ClientCommand {
  @Option(names = "-s", description = "Print the new stat.")
  boolean withStat;

  @Option(names = "-v", paramLabel = "VERSION", defaultValue = "-1",
      description = "Only if the data version is VERSION (default -1: any).")
  int version;

  @Option(names = "--file", paramLabel = "FILE", description = "Read the data from FILE.")
  Path file;

  @Parameters(index = "0", paramLabel = "PATH")
  String path;

  @Parameters(index = "1", arity = "0..1", paramLabel = "DATA",
      description = "New data, as UTF-8; - reads it from stdin, bytes as they are (or --file).")
  String data;

  private byte[] bytes;

  @Override
  void validate() {
    bytes = data(data, file, true);
  }

  @Override
  int run(KeelClient client) {
    Stat stat = client.setData(path, bytes, version);
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", path);
      j.put("stat", Json.stat(stat));
      out().println(Json.write(j));
    } else if (withStat) {
      printStat(out(), stat);
    }
    return ExitCodes.OK;
  }
}
