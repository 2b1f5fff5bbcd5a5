import os


class Settings:
    api_prefix: str = "/api"
    database_url: str = os.environ.get("DATABASE_URL", "sqlite:///notes.sqlite3")


settings = Settings()
