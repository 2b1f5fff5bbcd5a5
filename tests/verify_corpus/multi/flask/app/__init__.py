from flask import Flask

from app.config import API
from app.views import bp as notes_bp


def create_app() -> Flask:
    app = Flask(__name__)
    app.register_blueprint(notes_bp, url_prefix=f"{API}{notes_bp.url_prefix}")
    return app
