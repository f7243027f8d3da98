"""Database: engine factory, SQLModel tables and the Alembic migrations that build them."""
