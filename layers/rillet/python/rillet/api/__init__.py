"""The HTTP API: one Powertools resolver (app.py), one router per resource (routes/)."""
