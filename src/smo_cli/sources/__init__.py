"""Adapters over the outside world: platform APIs and feeds; injected httpx clients, no database."""
