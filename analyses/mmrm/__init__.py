"""MMRM engine (hand-written; see analyses/mmrm/README in module docstrings)."""
