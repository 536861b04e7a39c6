package io.keel.cli;

import io.keel.client.Acl;
import io.keel.client.KeelClient;
import io.keel.client.Stat;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** zkCli's {@code setAcl [-s] [-v version] path acl}. */
@Command(name = "setAcl", sortOptions = false,
    description = {"Replaces a node's ACL: scheme:id:perms[,...] with perms from cdrwa (create, "
        + "delete, read, write, admin). Keel stores ACLs but does not enforce them yet.",
        "Example: keel setAcl /config world:anyone:r,ip:10.0.0.1:cdrwa"})
final class SetAclCommand extends ClientCommand {
  @Option(names = "-s", description = "Print the new stat.")
  boolean withStat;

  @Option(names = "-v", paramLabel = "VERSION", defaultValue = "-1",
      description = "Only if the ACL version is VERSION (default -1: any).")
  int version;

  @Parameters(index = "0", paramLabel = "PATH")
  String path;

  @Parameters(index = "1", paramLabel = "ACL")
  String aclText;

  private List<Acl> acl;

  @Override
  void validate() {
    try {
      acl = AclText.parse(aclText);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  @Override
  int run(KeelClient client) {
    Stat stat = client.setAcl(path, acl, version);
    if (json()) {
      Map<String, Object> j = Json.object();
      j.put("path", path);
      j.put("acl", AclText.json(acl));
      j.put("stat", Json.stat(stat));
      out().println(Json.write(j));
    } else if (withStat) {
      printStat(out(), stat);
    }
    return ExitCodes.OK;
  }
}
