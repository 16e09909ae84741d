"""The platform API: an HTTP client and the typed records it returns. No Qt."""
