"""Data access: the only modules that speak AWS (History, Stores, Inventory, the stream, the topic, the archive)."""
