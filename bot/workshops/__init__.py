"""Workshops: the tracker-store reader, the workshop registry, the anonymous summary, exports, feedback figures and
retention. Every function takes the database URL (or an engine) from its caller; none reads the settings."""
