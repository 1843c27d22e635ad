"""The DoFns and composites the jobs are built from."""
