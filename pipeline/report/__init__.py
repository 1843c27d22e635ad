"""What a build looks like to a person: report.html, its charts, `flamingo inspect`."""
