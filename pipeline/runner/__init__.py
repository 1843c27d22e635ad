"""Running a job: options, runner profiles, the local runner, progress bars, launch."""
