"""First run: connect an organization or explore the demo; and the dialog that connects one.

The secret goes to the OS keychain only. Without a keychain the dialog says so and
offers to keep it in memory for this session — never in a file.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from a2v2_desktop.api.endpoint import Credentials, check_api_url
from a2v2_desktop.api.errors import ApiError
from a2v2_desktop.keychain import KeychainUnavailable
from a2v2_desktop.settings import DEFAULT_PROFILE, Organization
from a2v2_desktop.ui.icons import app_icon
from a2v2_desktop.ui.services import Services, test_connection
from a2v2_desktop.ui.widgets import elide, plain_label


class AccountDialog(QDialog):
    """API URL, key and secret, saved under the keychain profile of the organization being added;
    Test connection shows the organization's name."""

    def __init__(self, services: Services, parent: QWidget | None = None, profile: str = DEFAULT_PROFILE):
        super().__init__(parent)
        self.services, self.profile = services, profile
        self.pending_test: int | None = None
        self.tested_name = ""  # the server's name for the organization, once a test succeeded
        self.setWindowTitle("Connect your organization")
        self.setMinimumWidth(520)
        self.url = QLineEdit(services.settings.api_url)
        self.key = QLineEdit()
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.Password)
        self.key.setPlaceholderText("Settings → API Permissions on the web dashboard")
        self.result = plain_label("", "Muted", wrap=True)
        self.keychain_notice = QFrame()
        self.keychain_notice.setObjectName("Banner")
        self.keychain_text = plain_label("", wrap=True)
        self.session_button = QPushButton("Keep the secret for this session only")
        self.session_button.clicked.connect(self._keep_for_session)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test)
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("Primary")
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self.save)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self._layout(cancel)

    def _layout(self, cancel: QPushButton) -> None:
        form = QFormLayout()
        form.addRow("API URL", self.url)
        form.addRow("API key", self.key)
        form.addRow("API secret", self.secret)
        notice = QVBoxLayout(self.keychain_notice)
        notice.addWidget(self.keychain_text)
        notice.addWidget(self.session_button, 0, Qt.AlignLeft)
        self.keychain_notice.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.connect_button)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label("Use an API key and secret created by the organization's Owner.", "Muted"))
        layout.addLayout(form)
        layout.addWidget(self.result)
        layout.addWidget(self.keychain_notice)
        layout.addLayout(buttons)

    def credentials(self) -> Credentials:
        return Credentials(self.key.text().strip(), self.secret.text())

    def _checked(self) -> tuple[str, Credentials] | None:
        """The URL and credentials if they are complete and the URL is safe; else say why."""
        try:
            url = check_api_url(self.url.text().strip())
        except ApiError as error:
            return self._say(str(error), error=True)
        credentials = self.credentials()
        if not credentials.api_key or not credentials.api_secret:
            return self._say("Enter both the API key and the API secret.", error=True)
        return url, credentials

    def test(self) -> None:
        """Ask the server who we are, off the GUI thread."""
        checked = self._checked()
        if checked is None:
            return
        self._say("Testing the connection…")
        self.test_button.setEnabled(False)
        ticket = self.pending_test = self.services.runner.submit(
            lambda: test_connection(*checked),
            lambda name: self._connected(ticket, name),
            lambda error: self._tested(ticket, str(error), True),
        )

    def _connected(self, ticket: int, name: str) -> None:
        if ticket == self.pending_test:
            self.tested_name = name
        self._tested(ticket, f"Connected to {elide(name, 120)}.", False)

    def _tested(self, ticket: int, message: str, error: bool) -> None:
        if ticket == self.pending_test:
            self.test_button.setEnabled(True)
            self._say(message, error)

    def save(self) -> None:
        checked = self._checked()
        if checked is None:
            return
        try:
            self.services.credentials.save(checked[1], profile=self.profile)
        except KeychainUnavailable as problem:
            self.keychain_text.setText(f"{problem} You can keep it in memory until you quit; "
                                       "you will be asked for it again next time.")
            self.keychain_notice.setVisible(True)
            return
        self.accept()

    def _keep_for_session(self) -> None:
        checked = self._checked()
        if checked is not None:
            self.services.credentials.save(checked[1], session_only=True, profile=self.profile)
            self.accept()

    def api_url(self) -> str:
        return check_api_url(self.url.text().strip())

    def organization(self) -> Organization:
        """The organization to add; until its first sync names it, the tested name or the URL stands in."""
        return Organization(self.profile, self.tested_name or self.api_url(), self.api_url())

    def _say(self, message: str, error: bool = False) -> None:
        self.result.setObjectName("ErrorText" if error else "Muted")
        self.result.setStyleSheet("")  # re-polish for the new object name
        self.result.setText(message)


class WelcomePage(QWidget):
    """Two ways in: your organization, or the demo."""

    connectRequested = Signal()
    demoRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        logo = plain_label()
        logo.setPixmap(app_icon().pixmap(72, 72))
        logo.setAlignment(Qt.AlignCenter)
        title = plain_label("Welcome to A2V2 Desktop", "PanelTitle")
        title.setAlignment(Qt.AlignCenter)
        subtitle = plain_label("See what your A2V2.ai organization spends — offline, exact, and on your computer.",
                               "Muted")
        subtitle.setAlignment(Qt.AlignCenter)
        self.connect_button = QPushButton("Connect your organization…")
        self.connect_button.setObjectName("Primary")
        self.connect_button.clicked.connect(self.connectRequested)
        self.demo_button = QPushButton("Explore with demo data")
        self.demo_button.setObjectName("Primary")
        self.demo_button.clicked.connect(self.demoRequested)
        choices = QHBoxLayout()
        choices.addStretch(1)
        choices.addWidget(_choice("Connect your organization",
                                  "Sync your organization's usage with an API key and secret. The secret is kept "
                                  "in your system keychain.", self.connect_button))
        choices.addWidget(_choice("Explore with demo data",
                                  "A generated organization served from this computer, so you can look around "
                                  "first. Nothing leaves your machine.", self.demo_button))
        choices.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(logo)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(24)
        layout.addLayout(choices)
        layout.addStretch(2)


def _choice(title: str, description: str, button: QPushButton) -> QFrame:
    frame = QFrame()
    frame.setObjectName("ChoiceCard")
    frame.setFixedWidth(330)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(20, 18, 20, 18)
    layout.addWidget(plain_label(title, "SectionTitle"))
    layout.addWidget(plain_label(description, "Muted", wrap=True))
    layout.addStretch(1)
    layout.addWidget(button)
    return frame
