"""The pure core: content, model, interpretation, turn logic, reveal, persona Q&A, safety net, text.

Nothing in this package imports Rasa, Sanic, aiohttp, SQLAlchemy, `bot.settings` or any other part of `bot`
(tests/unit/test_layers.py checks it), so every rule about pupils can be tested with plain pytest.
"""
