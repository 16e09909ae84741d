"""What the panels show, computed without Qt: ranges, buckets, cards, rows, runaway agents."""
