"""Rasa plug-ins: the NLU components, the REST channel, the tracker store and the lock store (docs/architecture.md).

Rasa loads them from config.yml, credentials.yml and endpoints.yml. They may import the core, `bot.settings` and the
workshop registry; nothing else in `bot/` imports them.
"""
