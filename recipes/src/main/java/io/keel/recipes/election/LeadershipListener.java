package io.keel.recipes.election;

/**
 * Told when its participant gains and loses leadership.
 *
 * <p>An election calls its listeners one call at a time, in the order the changes happened, on a
 * thread of its own (never the client's watcher or connection-state thread), so a listener may
 * block and may call the client or the election, {@code close()} and {@code resign()} included.
 * Every listener sees {@code isLeader} and {@code notLeader} alternate, starting with
 * {@code isLeader}; a term that ended before its {@code isLeader} call was due is skipped entirely.
 * A listener that blocks delays the later calls, and a voluntary hand-off (resign, close) waits for
 * its {@code notLeader} to return. Exceptions thrown by a listener are logged and ignored.
 */
public interface LeadershipListener {
  /** This participant leads now, under {@code term}. */
  void isLeader(Leadership term);

  /** The term announced by the last {@link #isLeader} call is over. */
  void notLeader();
}
