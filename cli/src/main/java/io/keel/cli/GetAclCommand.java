package io.keel.cli;

import io.keel.client.Acl;
import io.keel.client.AclData;
import io.keel.client.KeelClient;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** zkCli's {@code getAcl [-s] path}. */
@Command(name = "getAcl", sortOptions = false,
    description = {"Prints a node's ACL in zkCli's layout. Keel stores ACLs with every node but "
        + "does not enforce them yet (there is no authentication).",
        "Example: keel getAcl /config"})
final class GetAclCommand extends ClientCommand {
  @Option(names = "-s", description = "Print the stat too.")
  boolean withStat;

  @Parameters(paramLabel = "PATH")
  String path;

  @Override
  int run(KeelClient client) {
    AclData acl = client.getAcl(path);
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", path);
      j.put("acl", AclText.json(acl.acl()));
      j.put("stat", Json.stat(acl.stat()));
      out().println(Json.write(j));
      return ExitCodes.OK;
    }
    for (Acl a : acl.acl()) {
      out().println("'" + a.scheme() + ",'" + a.id());
      out().println(": " + AclText.perms(a.perms()));
    }
    if (withStat) {
      printStat(out(), acl.stat());
    }
    return ExitCodes.OK;
  }
}
