package io.keel.recipes.internal;

import io.keel.client.KeelException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A point in {@link System#nanoTime()} time by which a blocking recipe call gives up, or none.
 * Immutable; thread-safe.
 */
public final class Deadline {
  private static final Deadline NEVER = new Deadline(Long.MAX_VALUE, true);

  private final long at;
  private final boolean never;

  private Deadline(long at, boolean never) {
    this.at = at;
    this.never = never;
  }

  /** The deadline {@code timeout} from now; a null, zero or negative timeout is already due. */
  public static Deadline after(Duration timeout) {
    if (timeout == null) {
      throw KeelException.create(KeelException.Code.BADARGUMENTS, null, "timeout is null");
    }
    long nanos = timeout.isNegative() ? 0 : saturatedNanos(timeout);
    return new Deadline(System.nanoTime() + nanos, false);
  }

  /** No deadline: wait until done, interrupted or failed. */
  public static Deadline never() {
    return NEVER;
  }

  private static long saturatedNanos(Duration d) {
    try {
      return Math.min(d.toNanos(), Long.MAX_VALUE / 4);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 4;
    }
  }

  public boolean isNever() {
    return never;
  }

  /** Nanoseconds left, 0 once due; {@code Long.MAX_VALUE} for {@link #never()}. */
  public long remainingNanos() {
    return never ? Long.MAX_VALUE : Math.max(0, at - System.nanoTime());
  }

  public boolean expired() {
    return !never && at - System.nanoTime() <= 0;
  }

  /** What is left, capped at {@code cap} (for client calls that need a finite timeout). */
  public Duration remaining(Duration cap) {
    long left = remainingNanos();
    return left >= cap.toNanos() ? cap : Duration.ofNanos(left);
  }

  /**
   * Waits for {@code f} until this deadline. Returns true when it completed (normally or not),
   * false when the deadline came first.
   *
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public boolean await(CompletableFuture<?> f) throws InterruptedException {
    try {
      if (never) {
        f.get();
      } else {
        f.get(remainingNanos(), TimeUnit.NANOSECONDS);
      }
      return true;
    } catch (ExecutionException e) {
      return true;
    } catch (TimeoutException e) {
      return f.isDone();
    }
  }
}
