"""The service's own records: the tables and queries (`records`), the background issued-card
recorder (`card_recorder`) and the Alembic migrations (`migrations`)."""
