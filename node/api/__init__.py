"""The HTTP API: one APIRouter per resource in routes/, dependencies in deps.py, error rendering in errors.py."""
