"""The service kit shared by every smartcity service."""
