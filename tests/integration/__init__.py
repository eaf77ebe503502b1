"""Integration tests against real containerd and distribution registries (127.0.0.1 only)."""
