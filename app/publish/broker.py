"""Broker addresses (``mqtt://user:pass@host:port``, ``mqtts://`` for TLS) and paho-mqtt 2.x clients."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt

from app.errors import UserError
from app.logs import redact

SCHEMA_VERSION = 1  # the "v" field of every message
TOPIC_ROOT = "vigil"
KINDS = ("compliance", "events", "health", "heartbeat", "state")
KIND_TOPIC = {"compliance": "compliance", "event": "events", "health": "health"}


@dataclass(frozen=True, slots=True)
class BrokerUrl:
    host: str
    port: int
    tls: bool
    username: str = ""
    password: str = ""
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""

    def display(self) -> str:
        """The address without the password (for logs, status lines and the window)."""
        user = f"{self.username}:***@" if self.password else (f"{self.username}@" if self.username else "")
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


def parse_broker_url(url: str, ca_file: str = "", cert_file: str = "", key_file: str = "") -> BrokerUrl:
    """``mqtt[s]://[user[:password]@]host[:port]``; raises UserError with one clear line."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UserError(f"broker address {redact(url)!r} is not valid: {exc}") from None
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise UserError(f"broker address {redact(url)!r} must look like mqtt://user:pass@host:1883 or mqtts://...")
    tls = parts.scheme == "mqtts"
    for f in (ca_file, cert_file, key_file):
        if f and not Path(f).expanduser().is_file():
            raise UserError(f"TLS file {f} does not exist")
    return BrokerUrl(
        host=parts.hostname,
        port=port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        ca_file=ca_file,
        cert_file=cert_file,
        key_file=key_file,
    )


def make_client(
    broker: BrokerUrl, client_id: str, clean_session: bool = True, manual_ack: bool = False
) -> mqtt.Client:
    """A paho 2.x client (callback API version 2, MQTT 3.1.1) with credentials and TLS set up."""
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
        manual_ack=manual_ack,
    )
    if broker.username:
        client.username_pw_set(broker.username, broker.password or None)
    if broker.tls:
        try:
            client.tls_set(
                ca_certs=str(Path(broker.ca_file).expanduser()) if broker.ca_file else None,
                certfile=str(Path(broker.cert_file).expanduser()) if broker.cert_file else None,
                keyfile=str(Path(broker.key_file).expanduser()) if broker.key_file else None,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        except (OSError, ssl.SSLError, ValueError) as exc:
            raise UserError(f"TLS setup for {broker.display()} failed: {exc}") from None
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client


def describe_connect_failure(reason: object) -> str:
    """One line for a refused connection (wrong password, not authorised, ...)."""
    text = str(reason)
    low = text.lower()
    if "bad user name or password" in low or "not authorized" in low or "not authorised" in low:
        return f"the broker refused the login ({text}): check the user and password for this station"
    return f"the broker refused the connection ({text})"


def topic(station_id: str, kind: str) -> str:
    return f"{TOPIC_ROOT}/{station_id}/{kind}"
