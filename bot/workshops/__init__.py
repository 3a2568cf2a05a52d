"""Workshops: the tracker-store reader, the workshop registry, the anonymous summary, exports, retention."""
