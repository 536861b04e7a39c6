package io.keel.tree;

import io.keel.proto.Code;
import io.keel.proto.Response;

/**
 * A user-level failure of one operation (NONODE, BADVERSION, BADARGUMENTS, ...): a result, not a
 * bug. Thrown inside the tree to unwind an operation, then turned into a {@link Response}. It
 * carries no stack trace: it is control flow, created often, and always caught in this package.
 */
final class OpFailure extends Exception {

  private static final long serialVersionUID = 1L;

  private final Code code;
  private final String path;

  OpFailure(Code code, String path, String message) {
    super(message, null, false, false);
    this.code = code;
    this.path = path == null ? "" : path;
  }

  Code code() {
    return code;
  }

  String path() {
    return path;
  }

  /** The failure as a reply; the caller sets the zxid. */
  Response.Builder toResponse() {
    return Response.newBuilder().setErr(code).setPath(path).setMessage(getMessage());
  }

  static OpFailure noNode(String path) {
    return new OpFailure(Code.NONODE, path, "node " + Paths.quote(path) + " does not exist");
  }

  static OpFailure badVersion(String path, String what, int expected, int actual) {
    return new OpFailure(Code.BADVERSION, path,
        "expected " + what + " " + expected + " but " + Paths.quote(path) + " has " + what + " " + actual);
  }
}
