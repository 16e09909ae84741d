"""Charts drawn with pyqtgraph."""
