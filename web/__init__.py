"""Small pieces shared by the interfaces (portal, desk, and later the API's pages)."""
