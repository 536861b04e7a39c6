package io.keel.cli;

import io.keel.client.KeelAdmin;
import io.keel.client.KeelClient;
import io.keel.client.KeelException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code keel} command. Global options ({@code --servers}, {@code --timeout},
 * {@code --verbose}, {@code --output}) may be given before or after the subcommand.
 *
 * <p>{@link #newCommandLine()} builds the whole command tree with Keel's error handling: a
 * {@link KeelException} becomes one line on err and the exit code of {@link ExitCodes}; usage
 * errors become one line and exit 2. Not thread-safe: one instance per invocation.
 */
@Command(name = "keel",
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = KeelCli.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = "Keel: a ZooKeeper-style coordination service on Apache Ratis.",
    subcommands = {
        ServerCommand.class,
        CreateCommand.class,
        GetCommand.class,
        SetCommand.class,
        StatCommand.class,
        LsCommand.class,
        DeleteCommand.class,
        DeleteAllCommand.class,
        SyncCommand.class,
        GetAllChildrenNumberCommand.class,
        GetEphemeralsCommand.class,
        GetAclCommand.class,
        SetAclCommand.class,
        WatchCommand.class,
        LockCommand.class,
        ElectCommand.class,
        IdCommand.class,
        ClusterCommand.class,
        SnapshotCommand.class,
        BenchCommand.class,
        ShellCommand.class,
        CompletionCommand.class,
        CommandLine.HelpCommand.class,
    })
public final class KeelCli implements Callable<Integer> {
  /** Where the CLI looks for a cluster when neither --servers nor KEEL_SERVERS says. */
  public static final String DEFAULT_SERVERS = "127.0.0.1:9871,127.0.0.1:9872,127.0.0.1:9873";

  /** Output formats of the data commands. */
  public enum Output { TEXT, JSON }

  /** Held so that the level set on it is not lost to garbage collection. */
  private static final java.util.logging.Logger GRPC_JUL_LOGGER =
      java.util.logging.Logger.getLogger("org.apache.ratis.thirdparty.io.grpc");

  @Spec
  CommandSpec spec;

  @Option(names = "--servers", scope = ScopeType.INHERIT, paramLabel = "HOST:PORT[,...]",
      defaultValue = "${env:KEEL_SERVERS:-" + DEFAULT_SERVERS + "}",
      description = "Servers to connect to (any of the cluster's; the rest is discovered). "
          + "Default: $KEEL_SERVERS, else " + DEFAULT_SERVERS + ".")
  String servers;

  @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION",
      defaultValue = "10s", converter = DurationConverter.class,
      description = "Time allowed to connect and for each request, e.g. 500ms, 5s, 1m "
          + "(default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT",
      defaultValue = "text",
      description = "Output of data commands and bench: text or json (default: ${DEFAULT-VALUE}).")
  Output output;

  @Option(names = "--verbose", scope = ScopeType.INHERIT,
      description = "Print stack traces of failures.")
  boolean verbose;

  public static void main(String[] args) {
    // gRPC logs through java.util.logging, to stderr; keep its INFO chatter out of the output.
    GRPC_JUL_LOGGER.setLevel(java.util.logging.Level.WARNING);
    CommandLine cl = newCommandLine();
    int code = cl.execute(args);
    cl.getOut().flush();
    cl.getErr().flush();
    // Ratis leaves non-daemon threads behind; the exit code is all that matters now.
    System.exit(code);
  }

  /** Where {@code DATA} {@code -} is read from; null in the shell, whose stdin holds the lines. */
  private InputStream stdin = System.in;

  /** The shell's session, shared by the commands of its lines; null outside the shell. */
  private KeelClient session;

  /** The command tree with Keel's error handling; set out/err on it before executing. */
  public static CommandLine newCommandLine() {
    return newCommandLine(System.in);
  }

  /** As {@link #newCommandLine()}, reading the data given as {@code -} from {@code stdin}. */
  public static CommandLine newCommandLine(InputStream stdin) {
    return newCommandLine(stdin, null);
  }

  /**
   * A tree for one line of {@code keel shell}: its commands use {@code session} instead of opening
   * their own and leave it open. {@code stdin} may be null: then {@code DATA -} is refused.
   */
  static CommandLine newCommandLine(InputStream stdin, KeelClient session) {
    KeelCli root = new KeelCli();
    root.stdin = stdin;
    root.session = session;
    CommandLine cl = new CommandLine(root);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setParameterExceptionHandler(KeelCli::onUsageError);
    cl.setExecutionExceptionHandler(KeelCli::onFailure);
    addExitCodeHelp(cl);
    return cl;
  }

  /** Without a subcommand: the usage, as a usage error. */
  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    err.println("keel: a command is required");
    spec.commandLine().usage(err);
    return ExitCodes.USAGE;
  }

  /**
   * The session a command works with: the shell's when it runs in {@code keel shell}, else a new
   * one. Give it back with {@link #release}, never close it directly.
   */
  KeelClient connect() {
    return session != null ? session : newSession();
  }

  /** Closes {@code client} unless it is the shell's session, which outlives the command. */
  void release(KeelClient client) {
    if (client != session) {
      client.close();
    }
  }

  /** True in {@code keel shell}, where the commands share one session. */
  boolean inShell() {
    return session != null;
  }

  /**
   * A new session with the global options, also in the shell (bench needs sessions of its own);
   * the caller closes it. Any failure to connect is a CONNECTIONLOSS (exit 7), whatever the
   * transport threw.
   */
  KeelClient newSession() {
    try {
      return KeelClient.builder(servers).requestTimeout(timeout).connectTimeout(timeout).build();
    } catch (KeelException e) {
      throw e;
    } catch (RuntimeException e) {
      throw KeelException.create(KeelException.Code.CONNECTIONLOSS, null,
          "cannot connect to " + servers + ": " + rootCause(e));
    }
  }

  /** An admin connection with the global options; the caller closes it. Opens no session. */
  KeelAdmin admin() {
    try {
      return KeelAdmin.connect(servers, timeout);
    } catch (KeelException e) {
      throw e;
    } catch (RuntimeException e) {
      throw KeelException.create(KeelException.Code.CONNECTIONLOSS, null,
          "cannot connect to " + servers + ": " + rootCause(e));
    }
  }

  private static String rootCause(Throwable t) {
    Throwable e = t;
    while (e.getCause() != null && e.getCause() != e) {
      e = e.getCause();
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  InputStream stdin() {
    return stdin;
  }

  Duration timeout() {
    return timeout;
  }

  Output output() {
    return output;
  }

  String servers() {
    return servers;
  }

  boolean verbose() {
    return verbose;
  }

  private static void addExitCodeHelp(CommandLine cl) {
    cl.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(ExitCodes.HELP);
    cl.getSubcommands().values().forEach(KeelCli::addExitCodeHelp);
  }

  private static int onUsageError(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    cmd.getErr().println("keel: " + oneLine(e.getMessage()) + " (see '"
        + cmd.getCommandSpec().qualifiedName() + " --help')");
    if (isVerbose(cmd)) {
      e.printStackTrace(cmd.getErr());
    }
    cmd.getErr().flush();
    return ExitCodes.USAGE;
  }

  private static int onFailure(Exception e, CommandLine cmd, ParseResult parsed) {
    int code;
    PrintWriter err = cmd.getErr();
    if (e instanceof KeelException k) {
      err.println("keel: " + oneLine(k.getMessage()));
      code = ExitCodes.of(k.code());
    } else if (e instanceof InterruptedException) {
      // Ctrl-C in keel shell stops the command only (outside it, the signal ends the JVM).
      err.println("keel: interrupted");
      code = ExitCodes.INTERRUPTED;
    } else {
      err.println("keel: " + oneLine(String.valueOf(e)));
      code = ExitCodes.ERROR;
    }
    if (isVerbose(cmd)) {
      e.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  private static boolean isVerbose(CommandLine cmd) {
    Object root = cmd.getCommandSpec().root().userObject();
    return root instanceof KeelCli k && k.verbose;
  }

  static String oneLine(String message) {
    return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
  }

  /** The version the build stamped into version.properties. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in = KeelCli.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {"keel " + p.getProperty("version", "unknown")};
    }
  }
}
