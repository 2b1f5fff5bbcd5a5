from flask import Flask

from app.config import API, DATABASE_URL
from app.db import db
from app.views import bp as notes_bp


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = DATABASE_URL
    db.init_app(app)
    app.register_blueprint(notes_bp, url_prefix=f"{API}{notes_bp.url_prefix}")
    return app
