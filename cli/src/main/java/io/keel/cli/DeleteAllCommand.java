package io.keel.cli;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** zkCli's {@code deleteall path}. */
@Command(name = "deleteall", sortOptions = false,
    description = {"Deletes a node and every node below it, depth first; prints nothing. Nodes "
        + "deleted by others meanwhile are skipped; children created meanwhile are deleted too.",
        "Not atomic: if it fails half way, part of the tree is gone.",
        "Example: keel deleteall /jobs"})
final class DeleteAllCommand extends ClientCommand {
  /** How often one node is relisted when children keep appearing under it before giving up. */
  static final int MAX_ATTEMPTS = 10;

  @Parameters(paramLabel = "PATH")
  String path;

  private long deleted;

  @Override
  void validate() {
    if ("/".equals(path)) {
      throw usage("cannot delete /");
    }
  }

  @Override
  int run(KeelClient client) {
    // The top node must exist (NONODE, exit 3, as for delete); below it, vanishing is fine.
    client.getChildren(path);
    deleteTree(client, path);
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", path);
      j.put("deleted", deleted);
      out().println(Json.write(j));
    }
    return ExitCodes.OK;
  }

  private void deleteTree(KeelClient client, String p) {
    for (int attempt = 1; ; attempt++) {
      List<String> children;
      try {
        children = client.getChildren(p);
      } catch (KeelException.NoNodeException e) {
        return;
      }
      for (String child : children) {
        deleteTree(client, p + "/" + child);
      }
      try {
        client.delete(p, -1);
        deleted++;
        return;
      } catch (KeelException.NoNodeException e) {
        return;
      } catch (KeelException.NotEmptyException e) {
        if (attempt >= MAX_ATTEMPTS) {
          throw e;
        }
        // A child was created meanwhile: list again.
      }
    }
  }
}
