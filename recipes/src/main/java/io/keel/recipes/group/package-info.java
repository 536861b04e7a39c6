/**
 * Group membership: {@link io.keel.recipes.group.GroupMember} joins a group as an ephemeral node,
 * lists the members and tells listeners who joins and leaves. Depends on {@code io.keel.client}
 * and {@code io.keel.recipes.internal} only.
 */
package io.keel.recipes.group;
