package io.keel.client;

import java.util.List;

/**
 * Every failure of a Keel operation: one unchecked hierarchy with ZooKeeper's error codes.
 *
 * <p>Catch a subclass ({@link NoNodeException}, {@link BadVersionException}, ...) or switch on
 * {@link #code()}. {@link ConnectionLossException} and {@link OperationTimeoutException} mean the
 * outcome of a write is unknown: it may or may not have been applied.
 */
public class KeelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** ZooKeeper's error codes, with ZooKeeper's names and numbers. */
  public enum Code {
    OK(0), SYSTEMERROR(-1), RUNTIMEINCONSISTENCY(-2), DATAINCONSISTENCY(-3), CONNECTIONLOSS(-4),
    MARSHALLINGERROR(-5), UNIMPLEMENTED(-6), OPERATIONTIMEOUT(-7), BADARGUMENTS(-8),
    UNKNOWNSESSION(-12), NEWCONFIGNOQUORUM(-13), RECONFIGINPROGRESS(-14), APIERROR(-100),
    NONODE(-101), NOAUTH(-102), BADVERSION(-103), NOCHILDRENFOREPHEMERALS(-108), NODEEXISTS(-110),
    NOTEMPTY(-111), SESSIONEXPIRED(-112), INVALIDCALLBACK(-113), INVALIDACL(-114),
    AUTHFAILED(-115), SESSIONMOVED(-118), NOTREADONLY(-119), EPHEMERALONLOCALSESSION(-120),
    NOWATCHER(-121), REQUESTTIMEOUT(-122), RECONFIGDISABLED(-123),
    SESSIONCLOSEDREQUIRESASLAUTH(-124), QUOTAEXCEEDED(-125), THROTTLEDOP(-127);

    private final int value;

    Code(int value) {
      this.value = value;
    }

    /** ZooKeeper's number for this code. */
    public int intValue() {
      return value;
    }

    /** The code with ZooKeeper's number {@code value}; SYSTEMERROR for an unknown number. */
    public static Code of(int value) {
      for (Code c : values()) {
        if (c.value == value) {
          return c;
        }
      }
      return SYSTEMERROR;
    }
  }

  private final Code code;
  private final String path;
  private final transient List<OpResult> results;

  protected KeelException(Code code, String path, String message, Throwable cause,
                          List<OpResult> results) {
    super(message, cause);
    this.code = code;
    this.path = path == null || path.isEmpty() ? null : path;
    this.results = results == null ? List.of() : List.copyOf(results);
  }

  /** The exception for {@code code}, as the right subclass. */
  public static KeelException create(Code code, String path, String message) {
    return create(code, path, message, null, null);
  }

  static KeelException create(Code code, String path, String message, Throwable cause,
                              List<OpResult> results) {
    String text = code + (path == null || path.isEmpty() ? "" : " for " + path)
        + (message == null || message.isEmpty() ? "" : ": " + message);
    return switch (code) {
      case NONODE -> new NoNodeException(path, text, cause, results);
      case NODEEXISTS -> new NodeExistsException(path, text, cause, results);
      case BADVERSION -> new BadVersionException(path, text, cause, results);
      case NOTEMPTY -> new NotEmptyException(path, text, cause, results);
      case NOCHILDRENFOREPHEMERALS -> new NoChildrenForEphemeralsException(path, text, cause, results);
      case BADARGUMENTS -> new BadArgumentsException(path, text, cause, results);
      case INVALIDACL -> new InvalidAclException(path, text, cause, results);
      case MARSHALLINGERROR -> new MarshallingErrorException(path, text, cause, results);
      case CONNECTIONLOSS -> new ConnectionLossException(text, cause);
      case OPERATIONTIMEOUT -> new OperationTimeoutException(text, cause);
      case SESSIONEXPIRED -> new SessionExpiredException(path, text, cause, results);
      case NOAUTH -> new NoAuthException(path, text, cause, results);
      default -> new KeelException(code, path, text, cause, results);
    };
  }

  /** The error code. */
  public Code code() {
    return code;
  }

  /** The path the failure concerns, or null. */
  public String path() {
    return path;
  }

  /** For a failed multi: one result per op in ZooKeeper's shape; empty otherwise. */
  public List<OpResult> results() {
    return results;
  }

  /** The node does not exist (or, for a create, its parent does not). */
  public static final class NoNodeException extends KeelException {
    private static final long serialVersionUID = 1L;
    NoNodeException(String path, String message, Throwable cause, List<OpResult> results) {
      super(Code.NONODE, path, message, cause, results);
    }
  }

  /** A node already exists at the path. */
  public static final class NodeExistsException extends KeelException {
    private static final long serialVersionUID = 1L;
    NodeExistsException(String path, String message, Throwable cause, List<OpResult> results) {
      super(Code.NODEEXISTS, path, message, cause, results);
    }
  }

  /** The expected version did not match. */
  public static final class BadVersionException extends KeelException {
    private static final long serialVersionUID = 1L;
    BadVersionException(String path, String message, Throwable cause, List<OpResult> results) {
      super(Code.BADVERSION, path, message, cause, results);
    }
  }

  /** The node has children. */
  public static final class NotEmptyException extends KeelException {
    private static final long serialVersionUID = 1L;
    NotEmptyException(String path, String message, Throwable cause, List<OpResult> results) {
      super(Code.NOTEMPTY, path, message, cause, results);
    }
  }

  /** Ephemeral nodes cannot have children. */
  public static final class NoChildrenForEphemeralsException extends KeelException {
    private static final long serialVersionUID = 1L;
    NoChildrenForEphemeralsException(String path, String message, Throwable cause, List<OpResult> results) {
      super(Code.NOCHILDRENFOREPHEMERALS, path, message, cause, results);
    }
  }

  /** The request broke a rule (path syntax, data size, TTL...); the message names it. */
  public static final class BadArgumentsException extends KeelException {
    private static final long serialVersionUID = 1L;
    BadArgumentsException(String path, String message, Throwable cause, List<OpResult> results) {
      super(Code.BADARGUMENTS, path, message, cause, results);
    }
  }

  /** An ACL is malformed. */
  public static final class InvalidAclException extends KeelException {
    private static final long serialVersionUID = 1L;
    InvalidAclException(String path, String message, Throwable cause, List<OpResult> results) {
      super(Code.INVALIDACL, path, message, cause, results);
    }
  }

  /** The request bytes could not be read. */
  public static final class MarshallingErrorException extends KeelException {
    private static final long serialVersionUID = 1L;
    MarshallingErrorException(String path, String message, Throwable cause, List<OpResult> results) {
      super(Code.MARSHALLINGERROR, path, message, cause, results);
    }
  }

  /** The session is gone (closed or expired). */
  public static final class SessionExpiredException extends KeelException {
    private static final long serialVersionUID = 1L;
    SessionExpiredException(String path, String message, Throwable cause, List<OpResult> results) {
      super(Code.SESSIONEXPIRED, path, message, cause, results);
    }
  }

  /** Not allowed by the node's ACL. */
  public static final class NoAuthException extends KeelException {
    private static final long serialVersionUID = 1L;
    NoAuthException(String path, String message, Throwable cause, List<OpResult> results) {
      super(Code.NOAUTH, path, message, cause, results);
    }
  }

  /** The cluster could not be reached; a write's outcome is unknown. */
  public static final class ConnectionLossException extends KeelException {
    private static final long serialVersionUID = 1L;
    ConnectionLossException(String message, Throwable cause) {
      super(Code.CONNECTIONLOSS, null, message, cause, null);
    }
  }

  /** The call's timeout passed before a reply; a write's outcome is unknown. */
  public static final class OperationTimeoutException extends KeelException {
    private static final long serialVersionUID = 1L;
    OperationTimeoutException(String message, Throwable cause) {
      super(Code.OPERATIONTIMEOUT, null, message, cause, null);
    }
  }
}
