/**
 * Running a Keel node: {@link io.keel.server.KeelConfig} reads and validates a node's config file,
 * {@link io.keel.server.KeelServer} builds the Ratis server from it. The only place Keel's settings
 * become Ratis properties.
 */
package io.keel.server;
