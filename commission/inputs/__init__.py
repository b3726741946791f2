"""Input tables: their schemas, reading them and checking them."""
