"""Staff e-mail addresses: set by the holder or an administrator, stored only once the
link sent to the address has been followed (single use, expiring)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime

from portal import audit
from portal.notify import messages
from portal.notify.relay import Relay, RelayError, build_message, new_message_id
from portal.notify.settings import NotifySettings
from portal.store import notifications as store
from portal.store.db import Connection, transaction

MAX_ADDRESS_CHARS = 254
CONFIRM_PATH = "/review/email/confirm/"
# Deliberately plain: one @, a dot in the domain, and none of the characters that could
# start another header or address (white space, controls, commas, angle brackets, quotes).
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class AddressError(ValueError):
    """The address is not one the portal can send to; the message says why."""


class ConfirmationNotSentError(Exception):
    """The relay did not take the confirmation message; nothing was stored."""


def check_address(text: str) -> str:
    address = text.strip()
    if not address:
        raise AddressError(messages.text("Enter an e-mail address."))
    if len(address) > MAX_ADDRESS_CHARS:
        raise AddressError(messages.text("An e-mail address is at most 254 characters."))
    if not _ADDRESS.fullmatch(address) or ".." in address:
        raise AddressError(messages.text("That is not an e-mail address the portal can send to (name@example.org)."))
    return address


def token_hash(token: str) -> bytes:
    return hashlib.blake2b(token.encode("ascii"), digest_size=32, person=b"candour-email").digest()


def is_token_shaped(token: str) -> bool:
    return bool(_TOKEN.fullmatch(token))


def request_confirmation(
    conn: Connection,
    instance_path: str,
    settings: NotifySettings,
    *,
    account_id: int,
    username: str,
    address: str,
    actor: str,
    now: datetime,
) -> str:
    """Send a confirmation link to `address` for the account, then remember the request.

    The message goes first: if the relay refuses it nothing is stored and the error
    says why. A new request replaces the account's pending one. Returns the address.
    """
    address = check_address(address)
    token = secrets.token_urlsafe(32)
    link = f"{settings.portal_url}{CONFIRM_PATH}{token}"
    subject, body = messages.confirmation(username=username, link=link, hours=settings.confirm_hours)
    message = build_message(
        sender=settings.relay.sender,
        to=address,
        subject=subject,
        body=body,
        message_id=new_message_id(settings.relay.sender),
        now=now,
    )
    try:
        with Relay(settings.relay) as relay:
            relay.send(message)
    except RelayError as exc:
        raise ConfirmationNotSentError(
            messages.text("The confirmation message could not be sent (%(reason)s). Nothing was changed.", reason=exc)
        ) from None
    expires = int(now.timestamp()) + settings.confirm_hours * 3600
    with audit.audited_transaction(conn, instance_path):
        store.purge_expired_confirmations(conn, int(now.timestamp()))
        store.save_confirmation(
            conn, account_id=account_id, token_hash=token_hash(token), address=address, requested_by=actor,
            expires_at=expires,
        )  # fmt: skip
        audit.append(conn, actor=actor, action="notify_address_requested", details={"account": username})
    return address


def pending(conn: Connection, token: str, now: datetime) -> store.PendingConfirmation | None:
    """What a confirmation link is for, without using it (the page asks before confirming)."""
    if not is_token_shaped(token):
        return None
    return store.find_confirmation(conn, token_hash(token), int(now.timestamp()))


def confirm(conn: Connection, instance_path: str, token: str, now: datetime) -> store.PendingConfirmation | None:
    """Use a link: store its address for its account. None if the link is unknown,
    used already or expired (it can never be used again either way)."""
    if not is_token_shaped(token):
        return None
    with transaction(conn):
        found = store.take_confirmation(conn, token_hash(token), int(now.timestamp()))
        if found is not None:
            store.set_address(conn, found.account_id, found.address, now.astimezone(UTC).date().isoformat())
            audit.append(
                conn,
                actor=audit.actor_label(found.username, found.role),
                action="notify_address_confirmed",
                details={"account": found.username},
            )
    if found is not None:
        audit.anchor_head(conn, instance_path)
    return found


def remove(conn: Connection, instance_path: str, *, account_id: int, username: str, actor: str) -> bool:
    """Forget an account's address (and any pending one). True if there was one."""
    with audit.audited_transaction(conn, instance_path):
        removed = store.remove_address(conn, account_id)
        if removed:
            audit.append(conn, actor=actor, action="notify_address_removed", details={"account": username})
    return removed
