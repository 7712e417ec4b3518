"""The FastAPI app: JSON API under /api, Jinja2 pages for people."""
