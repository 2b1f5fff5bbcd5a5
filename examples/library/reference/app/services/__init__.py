"""The lending rules. No HTTP here: failures are raised as app.services.errors."""
