package io.keel.tree;

import io.keel.proto.Response;
import java.util.List;
import java.util.Objects;

/**
 * What applying one log entry produced: the reply, and the node changes it made (empty when the
 * reply is a failure). Immutable and thread-safe.
 *
 * @param response the reply, as {@link DataTree#apply} returns it
 * @param events   the changes in the order they were made; an unmodifiable list
 */
public record Applied(Response response, List<TreeEvent> events) {

  public Applied {
    Objects.requireNonNull(response, "response");
    events = List.copyOf(events);
  }
}
