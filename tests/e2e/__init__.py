"""Browser tests (a package, so their conftest never clashes with another one)."""
