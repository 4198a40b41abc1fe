"""The alerts service: warnings, personal notifications and emergency calls."""
