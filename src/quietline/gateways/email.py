"""E-mail to clients over SMTP, always inside TLS (STARTTLS with certificate verification).

* The connection is plain SMTP on the submission port (587 by default) upgraded with
  ``STARTTLS`` before anything else is said: a server that does not offer it gets nothing,
  neither the password nor the message. The certificate is verified against the system's
  trust store, or against ``QUIETLINE_SMTP_CA_FILE`` (a private CA, or a test's self-signed
  certificate), and the host name is checked.
* The subject is fixed and says nothing: ``Message from your care team``. What the message is
  about is never in a subject line (subjects are shown on lock screens and kept in logs).
* Every outbound row has its own ``Message-ID`` (built from the row id), the same on every
  retry: should one e-mail ever be sent twice (see decision 0017), mail programs see one.
* Errors become :class:`GatewayUnavailable` (connection, TLS, authentication, 4xx: retry) or
  :class:`GatewayRejected` (a 5xx for this recipient or message: final). The server's reply
  text is never kept: it often quotes the address.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

from quietline.gateways.errors import GatewayRejected, GatewayUnavailable

log = logging.getLogger(__name__)

SUBJECT = "Message from your care team"
DEFAULT_TIMEOUT_SECONDS = 20.0


class EmailGateway(Protocol):
    def send(
        self,
        to: str,
        body: str,
        *,
        message_id: str,
        from_address: str | None = None,
    ) -> str:
        """Send ``body`` as a plain-text e-mail to ``to`` with the generic subject; return
        the Message-ID it went out with. ``from_address`` is the practice's own sender when
        it has one; otherwise the server's (``QUIETLINE_SMTP_FROM``)."""
        ...


def message_id_for(row_id_hex: str, from_address: str) -> str:
    """The Message-ID of one outbound row: stable across retries, unique per row."""
    domain = from_address.rpartition("@")[2].strip("<> ") or "quietline.invalid"
    return f"<{row_id_hex}@{domain}>"


def build_message(to: str, body: str, *, sender: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = SUBJECT
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


class SmtpEmailGateway:
    """One SMTP connection per message (a practice sends few): connect, EHLO, STARTTLS,
    EHLO, LOGIN when a user name is set, send, QUIT."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        default_from: str,
        username: str | None = None,
        password: str | None = None,
        ca_file: Path | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._host = host
        self._port = port
        self._default_from = default_from
        self._username = username
        self._password = password
        self._timeout = timeout
        # Verification and the host-name check are on in the default context.
        self._tls = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self._tls.minimum_version = ssl.TLSVersion.TLSv1_2

    def send(
        self,
        to: str,
        body: str,
        *,
        message_id: str,
        from_address: str | None = None,
    ) -> str:
        sender = from_address or self._default_from
        message = build_message(to, body, sender=sender, message_id=message_id)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    log.error(
                        "the SMTP server does not offer STARTTLS; nothing was sent. Use a "
                        "server that does (QUIETLINE_SMTP_HOST)"
                    )
                    raise GatewayUnavailable("starttls_missing")
                smtp.starttls(context=self._tls)
                smtp.ehlo()
                if self._username:
                    smtp.login(self._username, self._password or "")
                smtp.send_message(message, from_addr=sender, to_addrs=[to])
        except (GatewayUnavailable, GatewayRejected):
            raise
        except smtplib.SMTPAuthenticationError:
            log.error("the SMTP server refused the user name or password (QUIETLINE_SMTP_*)")
            raise GatewayUnavailable("smtp_auth") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _reply in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise GatewayRejected("recipient_refused") from None
            raise GatewayUnavailable("smtp_4xx") from None
        except smtplib.SMTPSenderRefused:
            log.error("the SMTP server refused the sender address (QUIETLINE_SMTP_FROM)")
            raise GatewayUnavailable("sender_refused") from None
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise GatewayRejected(f"smtp_{exc.smtp_code}") from None
            raise GatewayUnavailable(f"smtp_{exc.smtp_code}") from None
        except ssl.SSLCertVerificationError:
            log.error(
                "the SMTP server's certificate could not be verified; nothing was sent "
                "(QUIETLINE_SMTP_CA_FILE names a private CA)"
            )
            raise GatewayUnavailable("tls_verify") from None
        except ssl.SSLError:
            raise GatewayUnavailable("tls") from None
        except TimeoutError:
            raise GatewayUnavailable("timeout") from None
        except (smtplib.SMTPException, OSError):
            raise GatewayUnavailable("connection") from None
        return message_id
