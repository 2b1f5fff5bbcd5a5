import os

SECRET_KEY = os.environ.get("SECRET_KEY", "dev")
INSTALLED_APPS = ["django.contrib.contenttypes", "rest_framework", "notes"]
ROOT_URLCONF = "config.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DATABASE_URL", "notes.sqlite3").removeprefix("sqlite:///"),
    }
}
