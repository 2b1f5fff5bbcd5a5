"""``python -m app``: serve on $HOST (default 0.0.0.0), port $PORT (default 8000)."""

import os

from app import create_app

# One request at a time: the lending rules read, then write (copies on the
# shelf, the loan limit), and SQLite has a single writer anyway.
create_app().run(host=os.environ.get("HOST", "0.0.0.0"), port=int(os.environ.get("PORT", "8000")), threaded=False)
