"""Send invoice emails over one SMTP connection per run, with short timeouts."""

from __future__ import annotations

import smtplib
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid
from types import TracebackType

from demo.outbound.hosts import HostCache, route

SMTP_TIMEOUT = 5.0
MAIL_ERRORS = (OSError, smtplib.SMTPException)


class MailSender:
    """Lazily connects on the first send and keeps the connection for the whole run.

    A host that cannot be reached is remembered, so later sends fail at once
    (HostDown) instead of waiting for a timeout each.
    """

    def __init__(
        self,
        host: str,
        port: int,
        from_address: str,
        username: str | None = None,
        password: str | None = None,
        hosts: HostCache | None = None,
        timeout: float = SMTP_TIMEOUT,
    ) -> None:
        self.host = host
        self.port = port
        self.from_address = from_address
        self.username = username
        self.password = password
        self.hosts = hosts or HostCache()
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> MailSender:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        self.hosts.check(self.host, self.port)
        try:
            smtp = smtplib.SMTP(*route(self.host, self.port), timeout=self.timeout)
            if self.username:
                smtp.login(self.username, self.password or "")
        except MAIL_ERRORS as exc:
            self.hosts.mark_down(self.host, self.port, str(exc) or type(exc).__name__)
            raise
        return smtp

    def send(self, to: str, subject: str, body: str) -> None:
        """Send one message; raise OSError or SMTPException when it cannot be delivered."""
        # MIMEText (compat32) is several times cheaper than EmailMessage's header
        # registry, which matters at 100,000 invoices per run.
        msg = MIMEText(body, "plain", "utf-8")
        msg["From"] = self.from_address
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain=self.from_address.rpartition("@")[2] or None)
        raw = msg.as_bytes()
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.sendmail(self.from_address, [to], raw)
        except smtplib.SMTPServerDisconnected:
            # The server may close long-lived connections: reconnect once.
            self._smtp = self._connect()
            self._smtp.sendmail(self.from_address, [to], raw)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except MAIL_ERRORS:
                self._smtp.close()
            self._smtp = None
