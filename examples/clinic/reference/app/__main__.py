"""``python -m app``: serve the API with uvicorn on HOST (default 0.0.0.0) and PORT (default 8000)."""

import uvicorn

from app.config import Settings
from app.main import app


def main() -> None:
    settings = Settings.from_env()
    uvicorn.run(app, host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()
