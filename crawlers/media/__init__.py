"""Media: image decode/resize, video probe/frames, the ffmpeg binary."""
