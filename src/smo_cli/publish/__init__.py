"""Publishing to the platforms the officer posts on (Mastodon, Bluesky): real API clients behind
one protocol. No database: services/engage decides what to publish and records each result."""
