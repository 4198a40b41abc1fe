"""The identity service: one digital identity per citizen (like ThaiNguyen ID)."""
