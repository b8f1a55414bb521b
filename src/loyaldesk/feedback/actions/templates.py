"""The message templates a survey invitation is sent with (journeys templates the store may change like
any other): an email whose first question is answered in the email itself (the ``choices`` block the
asker adds below the body), and a short SMS with the survey's link."""

from __future__ import annotations

from sqlalchemy import select

from loyaldesk.feedback.vocab import SurveyChannel
from loyaldesk.journeys import MessageTemplate
from loyaldesk.kernel.db import UnitOfWork

EMAIL_TEMPLATE = "feedback_survey"
SMS_TEMPLATE = "feedback_survey_sms"

_WORDS = {
    "en": {
        "email": (
            "A quick question from {{ store_name }}",
            "One click is enough.",
            "Hi {{ first_name | there }},\n\nwe would love to know how we did. Pick an answer below: one "
            "click is enough, and you can tell us more on the next page if you like.",
        ),
        "sms": ("", "", "{{ store_name }}: how did we do? One question, one minute:"),
    },
    "de": {
        "email": (
            "Eine kurze Frage von {{ store_name }}",
            "Ein Klick genügt.",
            "Hallo {{ first_name | zusammen }},\n\nwir würden gern wissen, wie wir es gemacht haben. Wählen "
            "Sie unten eine Antwort: Ein Klick genügt, und auf der nächsten Seite können Sie uns mehr sagen.",
        ),
        "sms": ("", "", "{{ store_name }}: Wie haben wir es gemacht? Eine Frage, eine Minute:"),
    },
}


def template_key_for(channel: SurveyChannel | str) -> str:
    """The template a survey on ``channel`` is sent with by default."""
    return SMS_TEMPLATE if channel == SurveyChannel.SMS else EMAIL_TEMPLATE


def ensure_survey_templates(uow: UnitOfWork, store_id: int, language: str = "en") -> int:
    """Create the invitation templates the store lacks, in ``language`` (English when it has no words
    for it); how many were made. The store's own changes are kept."""
    words = _WORDS.get(language.split("-")[0], _WORDS["en"])
    have = set(
        uow.session.scalars(
            select(MessageTemplate.key).where(
                MessageTemplate.store_id == store_id, MessageTemplate.key.in_((EMAIL_TEMPLATE, SMS_TEMPLATE))
            )
        )
    )
    now = uow.now()
    made = 0
    for key, channel, name in (
        (EMAIL_TEMPLATE, "email", "Survey invitation (email)"),
        (SMS_TEMPLATE, "sms", "Survey invitation (SMS)"),
    ):
        if key in have:
            continue
        subject, preheader, body = words[channel]
        uow.session.add(
            MessageTemplate(
                store_id=store_id,
                key=key,
                channel=channel,
                name=name,
                subject=subject,
                preheader=preheader,
                body=body,
                button_label="",
                button_url="",
                mjml=None,
                created_at=now,
                updated_at=now,
            )
        )
        made += 1
    return made
