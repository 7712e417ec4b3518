"""Database access of flow168: SQLModel tables, the engine and repositories (the only place with SQL)."""
