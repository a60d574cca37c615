"""Catalogs of known open models: facts, fingerprints, integrity, and the tools to grow them."""
