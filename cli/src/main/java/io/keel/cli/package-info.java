/**
 * The {@code keel} command: Picocli commands over {@link io.keel.client.KeelClient} and
 * {@link io.keel.server.KeelServer}.
 *
 * <p>Rule: every command returns an exit code from {@link io.keel.cli.ExitCodes} and prints only
 * to its own {@code CommandLine}'s out and err (never {@code System.out}), so tests run commands
 * in-process and capture everything. Failures are one line on err; stack traces only with
 * {@code --verbose}. The one exception is {@code keel shell} on a terminal, which reads and
 * writes the terminal (JLine) for line editing; tests give it a terminal over streams.
 *
 * <p>Commands get their session from {@code KeelCli.connect()} and give it back with
 * {@code release()}: a session of their own, or in {@code keel shell} the shell's, which outlives
 * them, so they leave nothing registered on it (watches, listeners).
 */
package io.keel.cli;
