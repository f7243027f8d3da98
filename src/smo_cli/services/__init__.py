"""One module per job of the officer: plain functions over a Session and typed inputs."""
