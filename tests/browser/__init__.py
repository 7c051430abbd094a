"""Real-browser tests: the only tests that load Playwright (see conftest.py here)."""
