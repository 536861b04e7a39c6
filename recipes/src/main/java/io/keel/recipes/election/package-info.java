/**
 * Leader election: {@link io.keel.recipes.election.LeaderElection} (the smallest sequential node
 * leads, in a fair line) and {@link io.keel.recipes.election.EphemeralLeaderElection} (the first to
 * create an ephemeral node leads), one {@link io.keel.recipes.election.Election} API with
 * listeners, {@link io.keel.recipes.election.Leadership} terms carrying fencing tokens and guards,
 * and leadership dropped on SUSPENDED as well as on LOST.
 *
 * <p>Rule: depends on {@code io.keel.client} and {@code io.keel.recipes.internal} only; every term
 * begins with a write whose zxid is its token; listeners run on the election's own thread, never
 * on the client's.
 */
package io.keel.recipes.election;
