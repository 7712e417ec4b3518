"""Pydantic models of the forms people fill, with Chinese labels; the web form and the API share them."""
