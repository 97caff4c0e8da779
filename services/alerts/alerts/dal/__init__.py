"""Data access: the History table and the alerts topic (the only modules that speak AWS)."""
