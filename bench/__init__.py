"""golive's benchmarks: each prints its figure and the target it is held to."""
