package io.keel.cli;

import io.keel.client.Acl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** zkCli's ACL text: {@code scheme:id:perms[,...]} with perms from {@code cdrwa}. */
final class AclText {
  private static final String LETTERS = "rwcda";
  private static final int[] BITS = {Acl.READ, Acl.WRITE, Acl.CREATE, Acl.DELETE, Acl.ADMIN};

  private AclText() {}

  /**
   * Parses {@code world:anyone:cdrwa,ip:10.0.0.1:r}. The id may hold colons (digest's
   * {@code user:hash}): the scheme ends at the first colon, the perms start after the last.
   */
  static List<Acl> parse(String text) {
    List<Acl> acl = new ArrayList<>();
    for (String entry : text.split(",")) {
      String e = entry.strip();
      int first = e.indexOf(':');
      int last = e.lastIndexOf(':');
      if (first <= 0 || last == first || last == e.length() - 1) {
        throw new IllegalArgumentException("ACL entry '" + e + "' is not scheme:id:perms "
            + "(e.g. world:anyone:cdrwa)");
      }
      acl.add(new Acl(perms(e.substring(last + 1), e), e.substring(0, first),
          e.substring(first + 1, last)));
    }
    return acl;
  }

  private static int perms(String letters, String entry) {
    int perms = 0;
    for (char c : letters.toCharArray()) {
      int at = LETTERS.indexOf(c);
      if (at < 0) {
        throw new IllegalArgumentException("ACL entry '" + entry + "' has permission '" + c
            + "'; permissions are letters of cdrwa");
      }
      perms |= BITS[at];
    }
    return perms;
  }

  /** Permission letters in zkCli's order, {@code cdrwa}. */
  static String perms(int perms) {
    StringBuilder s = new StringBuilder();
    for (char c : "cdrwa".toCharArray()) {
      if ((perms & BITS[LETTERS.indexOf(c)]) != 0) {
        s.append(c);
      }
    }
    return s.toString();
  }

  static List<Object> json(List<Acl> acl) {
    List<Object> out = new ArrayList<>();
    for (Acl a : acl) {
      Map<String, Object> m = Json.object();
      m.put("scheme", a.scheme());
      m.put("id", a.id());
      m.put("perms", perms(a.perms()));
      out.add(m);
    }
    return out;
  }
}
