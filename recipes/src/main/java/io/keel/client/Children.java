package io.keel.client;

import java.util.List;

/** A node's child names (sorted) and the parent's stat, read together at one zxid. */
public record Children(List<String> names, Stat stat) {}
