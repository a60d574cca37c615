"""Synthetic, trained-looking model repositories for the examples, tests and benchmarks."""
