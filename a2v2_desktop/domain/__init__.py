"""Plain values shared by every layer: exact credits, money and UTC times. No Qt, no I/O."""
