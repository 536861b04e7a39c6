package io.keel.statemachine;

import io.keel.proto.Response;
import java.util.Base64;

/**
 * A write the leader refused before it entered the log (bad path, oversized data, malformed bytes).
 *
 * <p>Ratis carries only an exception's message from {@code startTransaction} back to the client, so
 * the message ends with the whole {@link Response}, Base64-encoded after {@link #MARKER}; the client
 * decodes it to raise the same typed error a replicated failure would.
 */
public final class RejectedRequestException extends Exception {
  /** Precedes the encoded {@link Response} in the message. */
  public static final String MARKER = "keel-response:";

  private final transient Response response;

  public RejectedRequestException(Response response) {
    super(response.getErr() + ": " + response.getMessage() + " " + MARKER
        + Base64.getEncoder().encodeToString(response.toByteArray()));
    this.response = response;
  }

  public Response response() {
    return response;
  }

  /**
   * The refused write's Response from the text of an exception that carried this one's message
   * (Ratis passes only the text along), or null when the text holds none.
   */
  public static Response decode(String message) {
    if (message == null) {
      return null;
    }
    int at = message.lastIndexOf(MARKER);
    if (at < 0) {
      return null;
    }
    String encoded = message.substring(at + MARKER.length()).strip().split("\\s", 2)[0];
    try {
      return Response.parseFrom(Base64.getDecoder().decode(encoded));
    } catch (com.google.protobuf.InvalidProtocolBufferException | IllegalArgumentException e) {
      return null;
    }
  }
}
