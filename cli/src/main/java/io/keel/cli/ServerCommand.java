package io.keel.cli;

import ch.qos.logback.classic.Level;
import io.keel.server.KeelConfig;
import io.keel.server.KeelServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keel server CONF}: one node in the foreground until the process is told to stop (SIGTERM,
 * Ctrl-C). Exit codes: 2 on a bad config (checked here first, so that the message naming the key
 * goes to this command's err), 1 if the node fails to start or stops after a fatal error; stopped
 * by a signal, the JVM exits with 128 + the signal's number (143 for SIGTERM) once the node closed.
 */
@Command(name = "server",
    description = {"Runs one Keel node in the foreground until it is stopped (SIGTERM or Ctrl-C).",
        "Relative paths in CONF (dataDir) resolve against the working directory.",
        "Logging: the logback file named by -Dlogback.configurationFile (scripts/keel-server.sh "
            + "passes conf/logback.xml); without it, Keel's INFO and everyone's WARN go to stderr.",
        "Example: keel server conf/node1.cfg"})
final class ServerCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "CONF", description = "The node's config file (see conf/node1.cfg).")
  Path config;

  @Override
  public Integer call() {
    try {
      KeelConfig.load(config);
    } catch (KeelConfig.ConfigException e) {
      spec.commandLine().getErr().println("keel: " + config + ": " + e.getMessage());
      return ExitCodes.USAGE;
    } catch (IOException e) {
      spec.commandLine().getErr().println("keel: cannot read " + config + ": " + e.getMessage());
      return ExitCodes.USAGE;
    }
    if (System.getProperty("logback.configurationFile") == null) {
      // The CLI's own logback.xml keeps commands quiet; a server run by hand should say what it does.
      if (LoggerFactory.getLogger("io.keel") instanceof ch.qos.logback.classic.Logger keel) {
        keel.setLevel(Level.INFO);
      }
    }
    return KeelServer.run(config);
  }
}
