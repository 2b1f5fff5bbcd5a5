import os

API = "/api"
DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///instance/notes.sqlite3")
