"""What we tell callers about their appointments, in the branch's language (German or English):
one place for every sentence, whether the voice agent reads it aloud or a text message carries it.

Times are local wall-clock, the way people say them: "Dienstag, 2. Juli, 11:00 Uhr" /
"Tuesday, 2 July, 11:00". Sentences name what the caller said, never a service's own message,
so no English text ends up inside a German answer.
"""

from datetime import date, datetime

WEEKDAYS = {
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
MONTHS = {
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}

MESSAGES = {
    "booked": {"de": "Ihr Termin am {when} ist gebucht.", "en": "Your appointment on {when} is booked."},
    "requested": {
        "de": "Ihr Termin am {when} ist angefragt; die Praxis bestätigt ihn noch.",
        "en": "Your appointment on {when} is requested; the practice still has to confirm it.",
    },
    "taken_with_alternatives": {
        "de": "{time} ist leider schon vergeben. Frei wären: {options}.",
        "en": "Sorry, {time} is already taken. Free are: {options}.",
    },
    "taken_no_alternatives": {
        "de": "{time} ist leider schon vergeben, und in den nächsten Tagen ist nichts frei.",
        "en": "Sorry, {time} is already taken, and nothing is free in the next days.",
    },
    "queued": {
        # The booking is finished after the call; the caller then gets a text with the outcome
        # (notifications/), and staff see it.
        "de": "Ich erreiche den Kalender gerade nicht. Ihr Wunschtermin am {when} ist notiert; "
        "die Praxis bestätigt ihn Ihnen nach dem Gespräch.",
        "en": "I cannot reach the calendar right now. Your requested time on {when} is noted; "
        "the practice will confirm it after the call.",
    },
    "change_queued": {
        "de": "Ich erreiche den Kalender gerade nicht. Ihr Anliegen ist notiert; "
        "die Praxis bestätigt es Ihnen nach dem Gespräch.",
        "en": "I cannot reach the calendar right now. Your request is noted; "
        "the practice will confirm it after the call.",
    },
    "calendar_down": {
        "de": "Ich erreiche den Kalender gerade nicht. Bitte versuchen Sie es gleich noch einmal.",
        "en": "I cannot reach the calendar right now. Please try again in a moment.",
    },
    "free_on_day": {"de": "Am {day} sind frei: {times}.", "en": "On {day}, free times are: {times}."},
    "nothing_on_day": {
        "de": "Am {day} ist leider nichts frei.",
        "en": "Sorry, nothing is free on {day}.",
    },
    "next_free": {"de": "Die nächsten freien Termine: {options}.", "en": "The next free times: {options}."},
    "wish_free": {"de": "{when} ist frei.", "en": "{when} is free."},
    "no_appointments": {
        "de": "Unter Ihrer Nummer finde ich keine anstehenden Termine.",
        "en": "I find no upcoming appointments for your number.",
    },
    "one_appointment": {
        "de": "Sie haben einen Termin am {when}.",
        "en": "You have an appointment on {when}.",
    },
    "several_appointments": {
        "de": "Sie haben {count} Termine: {options}. Welchen meinen Sie?",
        "en": "You have {count} appointments: {options}. Which one do you mean?",
    },
    "moved": {"de": "Ihr Termin ist verschoben auf {when}.", "en": "Your appointment is moved to {when}."},
    "moved_requested": {
        "de": "Ihr Termin ist auf {when} verschoben; die Praxis bestätigt ihn noch.",
        "en": "Your appointment is moved to {when}; the practice still has to confirm it.",
    },
    "cancelled": {
        "de": "Ihr Termin am {when} ist storniert.",
        "en": "Your appointment on {when} is cancelled.",
    },
    "unknown_ref": {
        "de": "Diesen Termin finde ich unter Ihrer Nummer nicht.",
        "en": "I cannot find that appointment for your number.",
    },
    "date_past": {
        "de": "{day} liegt in der Vergangenheit. Welcher Tag passt Ihnen?",
        "en": "{day} is in the past. Which day suits you?",
    },
    "time_past": {
        "de": "Diese Uhrzeit ist heute schon vorbei. Welche Zeit passt Ihnen?",
        "en": "That time has already passed today. Which time suits you?",
    },
    "date_too_far": {
        "de": "So weit im Voraus kann ich leider noch nicht buchen. Termine gibt es bis {last}.",
        "en": "I cannot book that far ahead yet. Appointments are possible until {last}.",
    },
    "not_understood": {
        "de": "Ich habe {what} nicht verstanden. Können Sie es bitte noch einmal sagen?",
        "en": "I did not catch {what}. Could you say it again, please?",
    },
    "not_configured": {
        "de": "Für diese Rufnummer kann ich leider keine Termine vergeben.",
        "en": "I am sorry, I cannot book appointments for this line.",
    },
    "which_service": {
        "de": "Das bieten wir hier leider nicht an. Wir haben {services}. Was darf es sein?",
        "en": "I am sorry, we do not offer that here. We have {services}. Which would you like?",
    },
    "email_needed": {
        "de": "Für diesen Termin brauche ich noch Ihre E-Mail-Adresse. Wie lautet sie?",
        "en": "For this appointment I also need your email address. What is it?",
    },
    "failed": {
        "de": "Das hat leider nicht geklappt. Die Praxis meldet sich bei Ihnen.",
        "en": "That did not work, sorry. The practice will get back to you.",
    },
    # Texted after the call to a caller who heard "noted" (notifications/services.py): a text
    # arrives from a number they do not know, so it names the practice.
    "sms_booking_confirmed": {
        "de": "Ihr Termin bei {company} am {when} ist bestätigt.",
        "en": "Your appointment at {company} on {when} is confirmed.",
    },
    "sms_booking_pending": {
        "de": "Ihr Termin bei {company} am {when} ist angefragt; die Praxis bestätigt ihn noch.",
        "en": "Your appointment at {company} on {when} is requested; the practice still has to confirm it.",
    },
    "sms_booking_failed": {
        "de": "Ihr Terminwunsch bei {company} für {when} konnte leider nicht gebucht werden. "
        "Wir melden uns bei Ihnen.",
        "en": "Sorry, your requested appointment at {company} for {when} could not be booked. "
        "We will get back to you.",
    },
}


# What the caller gave us, as the sentence "Ich habe ... nicht verstanden" needs it (accusative).
FIELD_WORDS = {
    "de": {
        "date": "das Datum",
        "date_to": "das Enddatum",
        "new_date": "das neue Datum",
        "time": "die Uhrzeit",
        "new_time": "die neue Uhrzeit",
        "part_of_day": "die Tageszeit",
        "name": "den Namen",
        "email": "die E-Mail-Adresse",
        "phone": "die Telefonnummer",
        "service": "die Leistung",
        "notes": "die Notiz",
        "appointment_ref": "die Terminnummer",
        "reason": "den Grund",
    },
    "en": {
        "date": "the date",
        "date_to": "the last day",
        "new_date": "the new date",
        "time": "the time",
        "new_time": "the new time",
        "part_of_day": "the part of the day",
        "name": "the name",
        "email": "the email address",
        "phone": "the phone number",
        "service": "the service",
        "notes": "the note",
        "appointment_ref": "the appointment reference",
        "reason": "the reason",
    },
}
ANYTHING = {"de": "das", "en": "that"}


def not_understood(fields, language: str) -> str:
    """'Ich habe das Datum und die Uhrzeit nicht verstanden. ...' for the fields we could not read."""
    words = FIELD_WORDS[_lang(language)]
    named = [words[field] for field in fields if field in words]
    what = spoken_list(named, language, joiner="and") if named else ANYTHING[_lang(language)]
    return say("not_understood", language, what=what)


def say(key: str, language: str, **values) -> str:
    templates = MESSAGES[key]
    return templates.get(language, templates["de"]).format(**values)


def spoken_day(day: date, language: str) -> str:
    weekday, month = WEEKDAYS[_lang(language)][day.weekday()], MONTHS[_lang(language)][day.month - 1]
    return f"{weekday}, {day.day}. {month}" if _lang(language) == "de" else f"{weekday}, {day.day} {month}"


def spoken_time(moment: datetime, language: str) -> str:
    return f"{moment:%H:%M} Uhr" if _lang(language) == "de" else f"{moment:%H:%M}"


def spoken_when(moment: datetime, language: str) -> str:
    """'Dienstag, 2. Juli, 11:00 Uhr' / 'Tuesday, 2 July, 11:00' (moment already local)."""
    return f"{spoken_day(moment.date(), language)}, {spoken_time(moment, language)}"


JOINERS = {"or": {"de": " oder ", "en": " or "}, "and": {"de": " und ", "en": " and "}}


def spoken_list(items: list[str], language: str, *, joiner: str = "or") -> str:
    """'a, b oder c' (choices) or, with joiner="and", 'a, b und c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + JOINERS[joiner][_lang(language)] + items[-1]


def _lang(language: str) -> str:
    return language if language in WEEKDAYS else "de"
