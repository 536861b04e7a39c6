package io.keel.watch;

/**
 * What a {@link WatchEvent} reports. Immutable and thread-safe.
 *
 * <p>{@link #HISTORY_GAP} is Keel's own: the server cannot tell the session what changed under the
 * event's path (its change history does not reach back far enough, or the session's queue
 * overflowed), so the client must re-read that path (and re-set one-shot watches) instead of
 * trusting that nothing happened. It is never silence.
 */
public enum EventType {
  NODE_CREATED,
  NODE_DELETED,
  NODE_DATA_CHANGED,
  NODE_CHILDREN_CHANGED,
  HISTORY_GAP
}
