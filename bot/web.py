"""The web server: demo school page, the embeddable widget's static files, and the advisor dashboard."""

from __future__ import annotations

from aiohttp import web

from bot import dashboard_web, settings


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def create_app(config: settings.Settings | None = None) -> web.Application:
    config = config or settings.load()
    app = web.Application(client_max_size=64 * 1024)
    app["settings"] = config
    app.router.add_get("/healthz", healthz)
    dashboard_web.add_routes(app)
    return app


def main() -> None:
    config = settings.load()
    web.run_app(create_app(config), host=config.host, port=config.web_port, print=None)


if __name__ == "__main__":
    main()
