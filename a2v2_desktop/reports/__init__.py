"""Spend summaries built from the cache only (offline), and their writers."""
