"""Weight lineage: canonical pieces, streaming fingerprints, calibrated matching against a catalog."""
