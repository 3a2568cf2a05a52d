"""The web server: the demo page, the widget files, the advisor dashboard and the pupil's result page.

The app keeps its Settings under SETTINGS_KEY, and only there: `app.create_app(config)` puts them in, every
handler reads `request.app[SETTINGS_KEY]`. Nothing in this package loads settings itself.
"""

from aiohttp import web

from bot.settings import Settings

SETTINGS_KEY = web.AppKey("settings", Settings)
