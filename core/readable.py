"""Vendor data rendered for people: a transcript as lines by speaker, a JSON object as a list of
labelled values (not raw JSON). The one place admin pages turn such data into HTML."""

from django.utils.html import format_html, format_html_join

SPEAKERS = ("Agent:", "User:")


def transcript_html(transcript: str) -> str:
    """'Agent: …\\nUser: …' as one paragraph per turn, the speaker in bold."""
    if not transcript:
        return ""
    turns = []
    for line in transcript.splitlines():
        speaker, _, said = line.partition(":")
        if f"{speaker}:" in SPEAKERS:
            turns.append((speaker, said.strip()))
        elif line.strip():
            turns.append(("", line.strip()))
    rows = format_html_join("", '<p><span class="speaker">{}</span> {}</p>', turns)
    return format_html('<div class="transcript">{}</div>', rows)


def values_html(data) -> str:
    """A dict (nested dicts included) as a definition list; anything else as its text."""
    if not isinstance(data, dict):
        return str(data) if data not in (None, "") else ""
    if not data:
        return ""
    labelled = ((key.replace("_", " "), values_html(value)) for key, value in data.items())
    items = format_html_join("", "<dt>{}</dt><dd>{}</dd>", labelled)
    return format_html('<dl class="values">{}</dl>', items)
