/**
 * {@link io.keel.testing.KeelTestCluster}: real Keel nodes in one JVM on loopback ports, for tests
 * of Keel itself and of applications (as Curator users use {@code TestingCluster}).
 */
package io.keel.testing;
