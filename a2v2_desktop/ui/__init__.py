"""The desktop window: PySide6 widgets over the Qt-free core."""
