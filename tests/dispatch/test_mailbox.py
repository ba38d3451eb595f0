"""E-mail coming back, end to end: a sweep over SMTP to an aiosmtpd sink, DSNs and ARF reports
APPENDed into a real IMAP server (dovecot) and read by the beat task, or POSTed to the
account's ``/hooks/<code>/``; statuses, suppressions and retries checked in the database."""

from __future__ import annotations

import imaplib
from pathlib import Path

import pytest
from django.urls import reverse

from brief.contacts.models import Suppression
from brief.dispatch import actions, engine, report, tasks
from brief.dispatch.models import Attempt, CallbackPayload, Message, ProviderAccount, Sweep
from brief.dispatch.providers.base import SIGNATURE_HEADER, sign
from tests.helpers import SMTP_CALLBACK_SECRET as SECRET
from tests.helpers import WHEN, send_email_sweep, smtp_account
from tests.services import imap_server, smtp_sink

FIXTURES = Path(__file__).parent / "fixtures" / "email"


#: The message id and address each recorded report names.
NAMED = {
    "postfix_hard_5.1.1.eml": (101, "nadie@correo.co"),
    "postfix_delayed_4.4.1.eml": (102, "lento@correo.co"),
    "exchange_soft_4.2.2.eml": (103, "lleno@contoso.example"),
    "arf_abuse.eml": (106, "molesto@correo.co"),
}


def report_for(name: str, message: Message) -> bytes:
    """A recorded-format report rewritten to name ``message`` (its id, Message-ID, address)."""
    old, address = NAMED[name]
    text = (FIXTURES / name).read_text()
    text = text.replace(f"brief-{old}@", f"brief-{message.pk}@")
    text = text.replace(f"bounces+{old}@", f"bounces+{message.pk}@")
    return text.replace(address, message.to).encode()


def append(port: int, password: str, *mails: bytes) -> None:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login("rebotes", password)
    for mail in mails:
        client.append("INBOX", None, None, mail)
    client.logout()


def unseen(port: int, password: str) -> int:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login("rebotes", password)
    client.select("INBOX")
    found = client.uid("SEARCH", "UNSEEN")[1][0].split()
    client.logout()
    return len(found)


@pytest.mark.django_db
def test_hard_bounce_in_the_mailbox_bounces_suppresses_and_the_next_sweep_skips_it(
    campaign, proveedor, monkeypatch
):
    with smtp_sink() as (port, sink), imap_server() as (imap_port, password):
        # given a sweep sent over SMTP with our Message-IDs and VERP return paths
        account = smtp_account(port, imap_port, password)
        brief, templates, messages = send_email_sweep(campaign, proveedor, monkeypatch, account)
        first = messages[0]
        assert first.status == "sent"
        assert first.provider_message_id == f"<brief-{first.pk}@brief.test>"
        assert sorted(sink.senders) == sorted(f"bounces+{m.pk}@brief.test" for m in messages)
        # and a hard DSN (Postfix) and a mail that is not a report in the bounce mailbox
        append(
            imap_port,
            password,
            report_for("postfix_hard_5.1.1.eml", first),
            b"From: ana@correo.co\r\nSubject: Hola\r\n\r\nGracias\r\n",
        )
        # when the beat task reads the mailbox
        result = tasks.poll_bounce_mailboxes()
        # then the message is bounced with the DSN's code, the address suppressed for e-mail
        assert result["correo"] == {
            "read": 2,
            "ignored": 1,
            "reports": 1,
            "applied": 1,
            "pending": 0,
        }
        first.refresh_from_db()
        assert (first.status, first.error_code) == ("bounced", "dsn_5.1.1")
        totals = report.build(brief)["totals"]
        assert (totals["bounced"], totals["sent"]) == (1, len(messages) - 1)
        assert "User unknown" in first.error_detail
        suppression = Suppression.objects.get(value=first.to)
        assert (suppression.channel, suppression.source) == ("email", "bounce")
        assert CallbackPayload.objects.filter(account=account).count() == 1
        assert unseen(imap_port, password) == 0
        # when it runs again: nothing new is read or written
        assert tasks.poll_bounce_mailboxes()["correo"] == {"read": 0}
        assert Suppression.objects.filter(value=first.to).count() == 1
        # when the next sweep goes out, the bounced address is skipped
        sent_before = len(sink.messages)
        sweep2 = actions.create_sweep(
            brief,
            actor=proveedor,
            channel="email",
            template=templates["email"],
            provider_account="correo",
            ignore_daily_cap=True,
            exception_reason="Prueba de rebotes",
        )
        assert engine.Runner(sweep2).run()["next"] == "done"
    again = Message.objects.get(sweep=sweep2, to=first.to)
    assert again.status == "suppressed"
    assert len(sink.messages) == sent_before + len(messages) - 1
    assert first.to not in [m["To"] for m in sink.messages[sent_before:]]


@pytest.mark.django_db
def test_soft_bounce_from_the_mailbox_requeues_and_the_sweep_sends_again(
    campaign, proveedor, monkeypatch, django_capture_on_commit_callbacks
):
    with smtp_sink() as (port, sink), imap_server() as (imap_port, password):
        account = smtp_account(port, imap_port, password)
        _brief, _t, messages = send_email_sweep(campaign, proveedor, monkeypatch, account)
        full, slow = messages[0], messages[1]
        # given a soft DSN (Exchange, 4.2.2 mailbox full, Action: failed) and a delay warning
        append(
            imap_port,
            password,
            report_for("exchange_soft_4.2.2.eml", full),
            report_for("postfix_delayed_4.4.1.eml", slow),
        )
        # when the beat task reads them
        with django_capture_on_commit_callbacks(execute=True):
            tasks.poll_bounce_mailboxes()
        # then the soft bounce is deferred for a retry and its finished sweep runs again
        full.refresh_from_db()
        assert (full.status, full.error_code) == ("deferred", "dsn_4.2.2")
        assert full.not_before == WHEN + engine.SOFT_BOUNCE_WAIT
        assert Attempt.objects.filter(message=full, outcome="temporary", code="dsn_4.2.2").exists()
        assert Sweep.objects.get(pk=full.sweep_id).state == "running"
        assert not Suppression.objects.filter(value=full.to).exists()
        # the delay only notes the warning: the remote server is still trying
        slow.refresh_from_db()
        assert (slow.status, slow.error_code) == ("sent", "dsn_4.4.1")
        # when the wait is over, the runner sends it again
        Message.objects.filter(pk=full.pk).update(not_before=None)
        before = len(sink.messages)
        assert engine.Runner(Sweep.objects.get(pk=full.sweep_id)).run()["next"] == "done"
        assert [m["To"] for m in sink.messages[before:]] == [full.to]
    full.refresh_from_db()
    assert (full.status, full.attempts) == ("sent", 2)


@pytest.mark.django_db
def test_soft_bounces_give_up_as_bounced_after_the_last_attempt(campaign, proveedor, monkeypatch):
    with smtp_sink() as (port, _sink):
        account = smtp_account(port)
        _brief, _t, messages = send_email_sweep(campaign, proveedor, monkeypatch, account, n=1)
    Message.objects.filter(pk=messages[0].pk).update(attempts=engine.MAX_ATTEMPTS)
    assert engine.retry_after_soft_bounce([messages[0].pk], code="dsn_4.2.2", detail="x") == {
        "deferred": 0,
        "bounced": 1,
    }
    assert Message.objects.get(pk=messages[0].pk).status == "bounced"


def post_raw(client, body: bytes, secret: str | None = SECRET):
    headers = {SIGNATURE_HEADER: sign(secret, body)} if secret else {}
    return client.post(
        reverse("provider_callback", args=["correo"]),
        data=body,
        content_type="message/rfc822",
        headers=headers,
    )


@pytest.mark.django_db
def test_webhook_dsn_and_arf_complaint(client, campaign, proveedor, monkeypatch):
    with smtp_sink() as (port, _sink):
        account = smtp_account(port)
        _brief, _t, messages = send_email_sweep(campaign, proveedor, monkeypatch, account)
    bounced, complained = messages[0], messages[1]
    # when a hard DSN is posted raw by the MTA, signed
    body = report_for("postfix_hard_5.1.1.eml", bounced)
    response = post_raw(client, body)
    # then
    assert response.status_code == 200
    assert response.json() == {"ok": True, "applied": 1, "pending": 0, "inbound": 0}
    assert Message.objects.get(pk=bounced.pk).status == "bounced"
    # replaying it changes nothing
    assert post_raw(client, body).status_code == 200
    assert Suppression.objects.filter(value=bounced.to, source="bounce").count() == 1
    # when an ARF complaint arrives
    assert post_raw(client, report_for("arf_abuse.eml", complained)).status_code == 200
    # then the address is suppressed for e-mail and the message says why
    complained.refresh_from_db()
    assert (complained.status, complained.error_code) == ("delivered", "arf_abuse")
    assert complained.error_detail == "Queja del destinatario (abuse)"
    suppression = Suppression.objects.get(value=complained.to)
    assert (suppression.channel, suppression.source) == ("email", "complaint")


@pytest.mark.django_db
def test_webhook_answers_a_clear_4xx_for_anything_else(client, campaign, proveedor, monkeypatch):
    with smtp_sink() as (port, _sink):
        account = smtp_account(port)
        _brief, _t, messages = send_email_sweep(campaign, proveedor, monkeypatch, account, n=1)
    dsn = report_for("postfix_hard_5.1.1.eml", messages[0])
    url = reverse("provider_callback", args=["correo"])
    cases = [
        (post_raw(client, dsn, secret=None), 403, "bad_signature"),
        (post_raw(client, dsn, secret="otro"), 403, "bad_signature"),
        (post_raw(client, b"From: a@b.co\r\n\r\nhola"), 400, "bad_payload"),
        (post_raw(client, b""), 400, "bad_payload"),
        (post_raw(client, b'{"events": []}'), 400, "bad_payload"),
        (client.get(url), 403, "bad_signature"),
    ]
    for response, status, code in cases:
        assert response.status_code == status
        assert response.json()["errors"][0]["code"] == code
    # nothing happened
    assert Message.objects.get(pk=messages[0].pk).status == "sent"
    assert not Suppression.objects.exists()
    assert not CallbackPayload.objects.exists()
    # and an account without a callback secret refuses every post
    ProviderAccount.objects.filter(pk=account.pk).update(options={"host": "x"})
    assert post_raw(client, dsn).status_code == 403


def test_missing_mailbox_server_is_reported_not_raised(db, monkeypatch):
    from tests.services import free_port

    smtp_account(free_port(), free_port(), "x")
    result = tasks.poll_bounce_mailboxes()
    assert set(result["correo"]) == {"error"}
