package io.keel.cli;

import io.keel.client.KeelException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The exit codes of every {@code keel} command, one per class of failure, so that scripts can
 * tell "the node is not there" from "the cluster is not reachable" without parsing messages.
 *
 * <table>
 *   <caption>exit codes</caption>
 *   <tr><td>0</td><td>success</td></tr>
 *   <tr><td>1</td><td>system error: ZooKeeper's system codes (SYSTEMERROR, MARSHALLINGERROR, ...)
 *       and unexpected failures</td></tr>
 *   <tr><td>2</td><td>bad usage or arguments: unknown option, missing parameter, BADARGUMENTS
 *       (e.g. an invalid path), an unusable config file</td></tr>
 *   <tr><td>3</td><td>NONODE</td></tr>
 *   <tr><td>4</td><td>NODEEXISTS</td></tr>
 *   <tr><td>5</td><td>BADVERSION</td></tr>
 *   <tr><td>6</td><td>NOTEMPTY</td></tr>
 *   <tr><td>7</td><td>CONNECTIONLOSS, OPERATIONTIMEOUT, REQUESTTIMEOUT: the cluster did not answer
 *       in time; a write's outcome is unknown</td></tr>
 *   <tr><td>8</td><td>any other Keel error (NOCHILDRENFOREPHEMERALS, NOAUTH, SESSIONEXPIRED, ...)</td></tr>
 *   <tr><td>9</td><td>the session was lost while {@code lock} ran its command (killed) or while
 *       {@code elect} held or watched an election</td></tr>
 *   <tr><td>10</td><td>{@code cluster status}: the cluster answered, but without a leader or with
 *       a member that did not answer</td></tr>
 *   <tr><td>130</td><td>interrupted (Ctrl-C)</td></tr>
 * </table>
 */
public final class ExitCodes {
  public static final int OK = 0;
  public static final int ERROR = 1;
  public static final int USAGE = 2;
  public static final int NO_NODE = 3;
  public static final int NODE_EXISTS = 4;
  public static final int BAD_VERSION = 5;
  public static final int NOT_EMPTY = 6;
  public static final int CONNECTION = 7;
  public static final int OTHER = 8;
  /**
   * The session ended (expired or closed) while a recipe command held something with it: the lock
   * or the leadership may already belong to another; {@code lock} killed its command.
   */
  public static final int SESSION_LOST = 9;
  /** {@code cluster status}: some member did not answer, or no leader did. */
  public static final int DEGRADED = 10;
  /**
   * Interrupted, as shells report Ctrl-C (128 + SIGINT). From the command line the signal ends
   * the JVM with it; in {@code keel shell} it stops the running command and the shell goes on.
   */
  public static final int INTERRUPTED = 130;

  /** The "Exit codes:" section of every command's help. */
  static final Map<String, String> HELP = help();

  private ExitCodes() {}

  /** The exit code for a failure with this code. */
  public static int of(KeelException.Code code) {
    return switch (code) {
      case OK -> OK;
      case BADARGUMENTS -> USAGE;
      case NONODE -> NO_NODE;
      case NODEEXISTS -> NODE_EXISTS;
      case BADVERSION -> BAD_VERSION;
      case NOTEMPTY -> NOT_EMPTY;
      case CONNECTIONLOSS, OPERATIONTIMEOUT, REQUESTTIMEOUT -> CONNECTION;
      // ZooKeeper numbers its system and server-side errors -1..-99, its API errors -100 and below.
      default -> code.intValue() < 0 && code.intValue() > -100 ? ERROR : OTHER;
    };
  }

  private static Map<String, String> help() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("0", "success");
    m.put("1", "system error (SYSTEMERROR and ZooKeeper's other system codes; unexpected failures)");
    m.put("2", "bad usage or arguments (also BADARGUMENTS, e.g. an invalid path; a bad config file)");
    m.put("3", "NONODE: no such node (for create: no parent)");
    m.put("4", "NODEEXISTS: the node already exists");
    m.put("5", "BADVERSION: the expected version did not match");
    m.put("6", "NOTEMPTY: the node has children");
    m.put("7", "CONNECTIONLOSS / OPERATIONTIMEOUT: no answer in time; a write's outcome is unknown");
    m.put("8", "any other Keel error (NOCHILDRENFOREPHEMERALS, NOAUTH, SESSIONEXPIRED, ...)");
    m.put("9", "session lost while lock ran its command (killed) or elect was holding/listening");
    m.put("10", "cluster status: a member did not answer, or no leader did");
    m.put("130", "interrupted (Ctrl-C)");
    return m;
  }
}
