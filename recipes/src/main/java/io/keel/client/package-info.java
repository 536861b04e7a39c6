/**
 * The Keel client: {@link io.keel.client.KeelClient} and the values it returns.
 *
 * <p>Rule: the only client code that imports Ratis; Ratis types and exceptions never reach callers,
 * every failure is a {@link io.keel.client.KeelException} with ZooKeeper's codes.
 */
package io.keel.client;
