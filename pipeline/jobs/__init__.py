"""The build jobs; each module exposes run(argv=None) and main(argv) for the CLI."""
