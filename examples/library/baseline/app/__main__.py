"""`python -m app`: serve on 0.0.0.0:$PORT (default 8000)."""

import os

from app import create_app

create_app().run(host="0.0.0.0", port=int(os.environ.get("PORT", "8000")))
