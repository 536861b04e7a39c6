package io.keel.client;

/** A node's data and its stat, read together at one zxid. */
public record NodeData(byte[] data, Stat stat) {}
