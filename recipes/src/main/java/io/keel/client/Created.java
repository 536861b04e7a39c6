package io.keel.client;

/** The node a create made: its actual path (with any sequential suffix) and stat. */
public record Created(String path, Stat stat) {}
