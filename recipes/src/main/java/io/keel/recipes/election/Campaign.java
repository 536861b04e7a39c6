package io.keel.recipes.election;

import io.keel.client.KeelException;
import io.keel.recipes.internal.Deadline;
import io.keel.recipes.internal.ZNodes;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loop an election's own thread runs, the same for both styles: wait for the connection,
 * wait for the turn, begin a term with a write, announce it, hold it until the node proving it
 * changes or the election is told to look again; hand off on resign; clean up on close or when
 * the session is lost. The style-specific steps are the {@link Election}'s abstract methods.
 */
final class Campaign {
  private static final Logger LOG = LoggerFactory.getLogger(Campaign.class);
  /** How long to pause after a failure the retries gave up on, before looking again. */
  private static final Duration PAUSE = Duration.ofSeconds(1);

  private final Election election;

  Campaign(Election election) {
    this.election = election;
  }

  void run() {
    try {
      while (true) {
        TermState.Step step = election.state().nextStep();
        if (step.stop()) {
          break;
        }
        try {
          if (step.handOff() != null) {
            // The next leader's isLeader must come after our notLeader: hand off only then.
            Deadline.never().await(step.handOff().told());
            election.stepDown(step.handOff());
          } else {
            campaignOnce(step.wake());
          }
        } catch (KeelException e) {
          if (!recoverable(e)) {
            election.state().fail(e);
            break;
          }
          LOG.debug("Election {} of {}: looking again after {}", election.path,
              election.id, e.getMessage());
          if (ZNodes.isTransient(e)) {
            Deadline.after(PAUSE).await(step.wake());
          }
        }
      }
    } catch (InterruptedException e) {
      // close() or the session's end: clean up below.
    } catch (RuntimeException e) {
      LOG.error("Election {} of {} failed", election.path, election.id, e);
      election.state().fail(KeelException.create(KeelException.Code.SYSTEMERROR, election.path,
          "the election failed: " + e));
    } finally {
      cleanUp();
    }
  }

  private void campaignOnce(CompletableFuture<Void> wake) throws InterruptedException {
    if (!election.client.connectionState().isConnected()) {
      Deadline.never().await(wake);  // RECONNECTED, LOST or close
      return;
    }
    if (!election.awaitTurn(wake)) {
      return;
    }
    Term term = election.beginTerm();
    CompletableFuture<Void> changed = election.watchTerm(term);
    if (!election.publish(term, wake)) {
      return;  // something changed meanwhile: look again (a new term takes a new write)
    }
    Deadline.never().await(CompletableFuture.anyOf(changed, wake));
    if (changed.isDone()) {
      election.state().ended(term);
    }
  }

  private static boolean recoverable(KeelException e) {
    return switch (e.code()) {
      case NONODE, NODEEXISTS, BADVERSION, CONNECTIONLOSS, OPERATIONTIMEOUT -> true;
      default -> false;
    };
  }

  private void cleanUp() {
    Term last = election.state().beginCleanUp();
    try {
      if (last != null) {
        // As for resign: the next leader hears of its term only after our notLeader returned.
        Deadline.never().await(last.told());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    election.leave();
    election.cleanedUp();
  }
}
