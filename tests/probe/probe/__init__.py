"""A second service built on the kit, for integration tests."""
