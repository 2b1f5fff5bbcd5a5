from aiohttp import web

from app.handlers import routes


def make_app() -> web.Application:
    api = web.Application()
    api.add_routes(routes)
    app = web.Application()
    app.add_subapp("/api", api)
    return app
