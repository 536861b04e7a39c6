package io.keel.recipes.election;

/**
 * One participant of an election as another client sees it.
 *
 * @param id     the id the participant gave its election
 * @param node   the participant's node in the election (its place in line)
 * @param leader true for the participant that holds leadership, or is about to hold it or hold it
 *               again (at the head of the line, possibly SUSPENDED)
 */
public record Participant(String id, String node, boolean leader) {}
