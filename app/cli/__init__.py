"""One module per sub-command; ``app.__main__`` discovers them (NAME, HELP, add_arguments, main)."""
