"""Streaming weight access: dtype decoding and memory-mapped row chunks."""
