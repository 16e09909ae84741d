"""The sync engine: platform API -> local cache, resumable and exact. No Qt."""
