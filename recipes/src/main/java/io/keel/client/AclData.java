package io.keel.client;

import java.util.List;

/** A node's ACL and its stat. */
public record AclData(List<Acl> acl, Stat stat) {}
