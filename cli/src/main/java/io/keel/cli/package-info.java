/**
 * The {@code keel} command: Picocli commands over {@link io.keel.client.KeelClient} and
 * {@link io.keel.server.KeelServer}.
 *
 * <p>Rule: every command returns an exit code from {@link io.keel.cli.ExitCodes} and prints only
 * to its own {@code CommandLine}'s out and err (never {@code System.out}), so tests run commands
 * in-process and capture everything. Failures are one line on err; stack traces only with
 * {@code --verbose}.
 */
package io.keel.cli;
