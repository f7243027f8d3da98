"""Output formats (table, JSON, CSV), documents from templates, and the only code that prints."""
