"""The `make demo` run, its tiny LM, its report, and the sample web (a fixture, not Beam code)."""
