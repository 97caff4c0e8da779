"""Typed records: stock changes read from the stream, alerts and digests."""
