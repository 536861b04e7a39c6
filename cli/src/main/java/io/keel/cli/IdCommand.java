package io.keel.cli;

import io.keel.client.KeelClient;
import io.keel.recipes.id.SequentialIdGenerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code id next PATH}: ids from a {@link SequentialIdGenerator}. */
@Command(name = "id", subcommands = IdCommand.Next.class,
    description = {"Cluster-unique, increasing ids.", "Example: keel id next /ids/orders --count 3"})
final class IdCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing the subcommand: next");
  }

  @Command(name = "next", sortOptions = false,
      description = {"Prints N ids from the sequential-node counter of the directory PATH, one a "
          + "line: each larger than every id handed out before it was asked for (not consecutive). "
          + "PATH is created if missing and must never be deleted.",
          "Example: keel id next /ids/orders --count 3"})
  static final class Next implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1",
        description = "How many ids (default: ${DEFAULT-VALUE}).")
    int count;

    @Parameters(paramLabel = "PATH")
    String path;

    @Override
    public Integer call() throws Exception {
      if (count < 1) {
        throw new ParameterException(spec.commandLine(), "--count must be at least 1");
      }
      KeelCli cli = (KeelCli) spec.root().userObject();
      boolean json = cli.output() == KeelCli.Output.JSON;
      List<Long> ids = new ArrayList<>();
      KeelClient client = cli.connect();
      try (SequentialIdGenerator ids0 = new SequentialIdGenerator(client, path)) {
        for (int i = 0; i < count; i++) {
          long id = ids0.next();
          ids.add(id);
          if (!json) {
            spec.commandLine().getOut().println(id);
          }
        }
      } finally {
        cli.release(client);
      }
      if (json) {
        Map<String, Object> j = Json.object();
        j.put("path", path);
        j.put("ids", ids);
        spec.commandLine().getOut().println(Json.write(j));
      }
      return ExitCodes.OK;
    }
  }
}
