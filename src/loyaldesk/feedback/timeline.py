"""How feedback's events read on the customer's timeline: when they were asked, what they answered (the
score and where it puts them), and when an issue they raised was fixed. Registers on import (the
composition root imports it with the other registering modules)."""

from __future__ import annotations

from loyaldesk.customers import TimelineEntry, timeline_entry
from loyaldesk.feedback.vocab import Bucket, SurveyChannel, SurveyKind, label
from loyaldesk.kernel.events import StoredEvent


def _kind(event: StoredEvent) -> str:
    try:
        return label(SurveyKind(str(event.payload.get("survey_kind"))))
    except ValueError:
        return "a survey"


@timeline_entry("feedback.survey_asked")
def _asked(event: StoredEvent) -> TimelineEntry:
    try:
        channel = label(SurveyChannel(str(event.payload.get("channel")))).lower()
    except ValueError:
        channel = str(event.payload.get("channel"))
    return TimelineEntry(title=f"Asked for feedback: {_kind(event)}", detail=f"By {channel}")


@timeline_entry("feedback.survey_answered")
def _answered(event: StoredEvent) -> TimelineEntry:
    score, bucket = event.payload.get("score"), str(event.payload.get("bucket"))
    detail = f"Score {score}" if score is not None else "No score yet"
    if bucket in Bucket.__members__.values():
        detail += f" ({label(Bucket(bucket)).lower()})"
    if event.payload.get("has_comment"):
        detail += ", with a comment"
    state = "Answered" if event.payload.get("complete") else "Started answering"
    return TimelineEntry(title=f"{state} {_kind(event)}", detail=detail)
