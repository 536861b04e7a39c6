package io.keel.cli;

import picocli.AutoComplete;
import picocli.CommandLine.Command;

/**
 * Picocli's {@link AutoComplete.GenerateCompletion} (prints a bash completion script for the whole
 * command tree, also usable from zsh), with help that says how to install it, as every keel
 * command's does.
 */
@Command(name = "generate-completion",
    description = {"Prints a completion script for keel's commands and options, for bash, and for "
        + "zsh through bashcompinit (which the script loads). Load it in the current shell with "
        + "source <(keel generate-completion), or put that line in ~/.bashrc or ~/.zshrc.",
        "It completes the command named keel: put scripts/ on your PATH.",
        "Example: keel generate-completion > ~/.local/share/bash-completion/completions/keel"})
final class CompletionCommand extends AutoComplete.GenerateCompletion {
}
