"""Parsers: repository files into typed facts, without loading weights or running anything."""
