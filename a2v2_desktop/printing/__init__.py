"""The spend summary on paper: a QTextDocument laid out for a PDF writer or a printer (QtGui, QtPrintSupport).

Qt lives here and in `ui`; the figures come from `reports.summary`, which has no Qt.
"""
