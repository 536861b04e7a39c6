package io.keel.client;

/** The result of one {@link Op} of a multi. */
public sealed interface OpResult {
  /** A create succeeded. */
  record CreateResult(String path, Stat stat) implements OpResult {}

  /** A setData succeeded. */
  record SetDataResult(Stat stat) implements OpResult {}

  /** A delete succeeded. */
  record DeleteResult() implements OpResult {}

  /** A check passed. */
  record CheckResult() implements OpResult {}

  /**
   * In a failed multi, every op has one: OK for ops before the failing one, the failure for it,
   * RUNTIMEINCONSISTENCY for ops after it (ZooKeeper's shape).
   */
  record ErrorResult(KeelException.Code code) implements OpResult {}

  static OpResult of(io.keel.proto.OpResult r) {
    if (r.getErrValue() != 0) {
      return new ErrorResult(KeelException.Code.of(r.getErrValue()));
    }
    return switch (r.getResultCase()) {
      case CREATE -> new CreateResult(r.getCreate().getPath(), Stat.of(r.getCreate().getStat()));
      case STAT -> new SetDataResult(Stat.of(r.getStat()));
      case DELETED -> new DeleteResult();
      case CHECKED -> new CheckResult();
      case RESULT_NOT_SET -> new ErrorResult(KeelException.Code.OK);
    };
  }
}
