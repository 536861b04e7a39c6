package io.keel.cli;

import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import io.keel.recipes.lock.DistributedLock;
import io.keel.recipes.lock.Lease;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code etcdctl lock}: runs a command while holding the {@link DistributedLock} at PATH and exits
 * with its status. The command is required (there is no hold-until-interrupted form).
 */
@Command(name = "lock", sortOptions = false,
    description = {"Acquires the lock at PATH, runs COMMAND while holding it (stdin/stdout/stderr "
        + "inherited; KEEL_LOCK_PATH = the lock node, KEEL_FENCING_TOKEN = its fencing token), "
        + "releases it when the command exits, and exits with the command's status. If the "
        + "session is lost meanwhile, the command is stopped (SIGTERM, then SIGKILL after "
        + "--kill-grace) and keel exits 9. Cannot start the command: exit 127.",
        "Example: keel lock /locks/backup -- sh -c 'backup.sh --token \"$KEEL_FENCING_TOKEN\"'"})
final class LockCommand extends ClientCommand {
  /** The command could not be started (as shells say "command not found"). */
  static final int CANNOT_RUN = 127;

  @Option(names = "--wait-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Give up waiting for the lock after this long (exit 7). Default: wait forever.")
  Duration waitTimeout;

  @Option(names = "--kill-grace", paramLabel = "DURATION", converter = DurationConverter.class,
      defaultValue = "10s",
      description = "After the session is lost, time the command has to exit after SIGTERM "
          + "before SIGKILL (default: ${DEFAULT-VALUE}).")
  Duration killGrace;

  @Parameters(index = "0", paramLabel = "PATH", description = "The lock's path.")
  String path;

  @Parameters(index = "1..*", paramLabel = "COMMAND",
      description = "The command and its arguments, after --.")
  List<String> command;

  @Override
  void validate() {
    if (command == null || command.isEmpty()) {
      throw usage("missing the command: keel lock PATH -- COMMAND [ARGS...]");
    }
  }

  @Override
  int run(KeelClient client) throws Exception {
    DistributedLock lock = new DistributedLock(client, path);
    Lease lease = waitTimeout == null ? lock.acquire()
        : lock.tryAcquire(waitTimeout).orElseThrow(() -> KeelException.create(
            KeelException.Code.OPERATIONTIMEOUT, path, "lock not acquired within " + waitTimeout));
    try (lease) {
      ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
      pb.environment().put("KEEL_LOCK_PATH", lease.path());
      pb.environment().put("KEEL_FENCING_TOKEN", Long.toString(lease.fencingToken()));
      Process child;
      try {
        child = pb.start();
      } catch (IOException e) {
        spec.commandLine().getErr().println("keel: cannot run " + command.get(0) + ": "
            + KeelCli.oneLine(e.getMessage()));
        return CANNOT_RUN;
      }
      try (SessionWatch session = new SessionWatch(client, () -> { });
           SessionWatch.Hook hook = SessionWatch.onShutdown(() -> {
             stop(child);
             lease.close();
           })) {
        try {
          CompletableFuture.anyOf(child.onExit(), session.ended()).get();
        } catch (InterruptedException e) {
          stop(child);
          throw e;
        } catch (ExecutionException e) {
          throw new IllegalStateException(e);  // neither future fails
        }
        if (child.isAlive()) {
          spec.commandLine().getErr().println("keel: session " + session.ended().getNow(null)
              + " while holding the lock " + path + ": stopping the command");
          spec.commandLine().getErr().flush();
          stop(child);
          return ExitCodes.SESSION_LOST;
        }
        return child.exitValue();
      }
    }
  }

  /** SIGTERM to the command and what it started, SIGKILL to what is left after the grace. */
  private void stop(Process child) {
    List<ProcessHandle> descendants = child.descendants().toList();
    child.destroy();
    descendants.forEach(ProcessHandle::destroy);
    try {
      if (!child.waitFor(killGrace.toMillis(), TimeUnit.MILLISECONDS)) {
        child.destroyForcibly();
        child.waitFor();
      }
    } catch (InterruptedException e) {
      child.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    descendants.forEach(h -> {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    });
  }
}
