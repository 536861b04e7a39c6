package io.keel.cli;

import io.keel.client.Acl;
import io.keel.client.CreateMode;
import io.keel.client.CreateOptions;
import io.keel.client.Created;
import io.keel.client.KeelClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** zkCli's {@code create [-s] [-e] [-c] [-t ttl] path [data] [acl]}. */
@Command(name = "create", sortOptions = false,
    description = {"Creates a node and prints \"Created <path>\" (the actual path, with any "
        + "sequential suffix).",
        "Example: keel create -s /jobs/job- payload"})
final class CreateCommand extends ClientCommand {
  @Option(names = "-s", description = "Sequential: append the parent's 10-digit counter to the name.")
  boolean sequential;

  @Option(names = "-e", description = {"Ephemeral: owned by this command's session. The session "
      + "closes when keel exits, so the node is deleted at once; useful only to test. In keel "
      + "shell the session is the shell's: the node lives until the shell exits.",
      "Applications keep ephemerals alive with a KeelClient."})
  boolean ephemeral;

  @Option(names = "-c", description = "Container: deleted by the server once its last child is gone.")
  boolean container;

  @Option(names = "-t", paramLabel = "TTL_MS",
      description = "Time to live in ms: deleted once unchanged and childless that long.")
  Long ttlMs;

  @Option(names = "--file", paramLabel = "FILE", description = "Read the data from FILE.")
  Path file;

  @Parameters(index = "0", paramLabel = "PATH", description = "Path of the new node.")
  String path;

  @Parameters(index = "1", arity = "0..1", paramLabel = "DATA",
      description = "Data, as UTF-8; - reads it from stdin, bytes as they are (default: empty).")
  String data;

  @Parameters(index = "2", arity = "0..1", paramLabel = "ACL",
      description = "scheme:id:perms[,...] as for setAcl (default world:anyone:cdrwa); needs DATA "
          + "before it ('' for none). Stored, not yet enforced.")
  String aclText;

  private byte[] bytes;

  @Override
  void validate() {
    if (container && (sequential || ephemeral)) {
      throw usage("-c cannot be combined with -s or -e");
    }
    if (ttlMs != null && (ephemeral || container)) {
      throw usage("-t cannot be combined with -e or -c");
    }
    if (ttlMs != null && ttlMs <= 0) {
      throw usage("-t must be a positive number of milliseconds, got " + ttlMs);
    }
    bytes = data(data, file, false);
    if (aclText != null) {
      try {
        acl = AclText.parse(aclText);
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
    }
  }

  private List<Acl> acl = List.of();

  @Override
  int run(KeelClient client) {
    CreateOptions options = new CreateOptions(acl, ttlMs == null ? 0 : ttlMs);
    Created created = client.create(path, bytes, mode(), options);
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", created.path());
      j.put("stat", Json.stat(created.stat()));
      out().println(Json.write(j));
    } else {
      out().println("Created " + created.path());
    }
    return ExitCodes.OK;
  }

  private CreateMode mode() {
    if (ttlMs != null) {
      return sequential ? CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL : CreateMode.PERSISTENT_WITH_TTL;
    }
    if (container) {
      return CreateMode.CONTAINER;
    }
    if (ephemeral) {
      return sequential ? CreateMode.EPHEMERAL_SEQUENTIAL : CreateMode.EPHEMERAL;
    }
    return sequential ? CreateMode.PERSISTENT_SEQUENTIAL : CreateMode.PERSISTENT;
  }
}
