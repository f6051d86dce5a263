"""What we accept from Retell, field by field (contract retell-api.md §1.2-§1.4, §4.1, §4.2).

Every field we read is typed and bounded by the column it lands in; fields we do not read are
allowed and kept in the raw body. A request that fails here is answered 400 and stores nothing.
"""

from django.core.validators import RegexValidator
from rest_framework import serializers

from telephony.events import HANDLED_EVENTS

CALL_ID_MAX = 100  # Call.retell_call_id, WebhookEvent.call_id
NUMBER_MAX = 20  # Call.from_number / to_number, PhoneNumber.number (E.164 has at most 16)
AGENT_ID_MAX = 100
TEXT_VALUE_MAX = 5000  # one dynamic variable or analysis value
# Unix milliseconds up to 9999-12-31: later values cannot become a datetime.
MS_MAX = 253_402_300_799_999
DURATION_MS_MAX = 2_147_483_647  # Call.duration_ms (a PostgreSQL integer)


class StrictCharField(serializers.CharField):
    """A string, never a number or boolean turned into one (DRF's CharField would coerce 49301)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: no "123" string, no 1.5, no true."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class VariablesField(serializers.Field):
    """Dynamic variables: contract §4.2 says strings; agents also send booleans and numbers
    (`booking_confirmed: true`), never objects. One pass over the object, no field per value."""

    default_error_messages = {
        "not_an_object": "Must be an object.",
        "invalid": "{name}: must be a string, number, boolean or null.",
        "too_long": f"{{name}}: must be at most {TEXT_VALUE_MAX} characters.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_an_object")
        for key, value in data.items():
            if value is not None and not isinstance(value, str | int | float | bool):
                self.fail("invalid", name=key[:40])
            if isinstance(value, str) and len(value) > TEXT_VALUE_MAX:
                self.fail("too_long", name=key[:40])
        return data

    def to_representation(self, value):
        return value


def _variables() -> VariablesField:
    return VariablesField(required=False)


class CallAnalysisSerializer(serializers.Serializer):
    call_summary = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    user_sentiment = StrictCharField(required=False, allow_blank=True, max_length=32)
    call_successful = serializers.BooleanField(required=False, allow_null=True)
    custom_analysis_data = serializers.DictField(required=False, allow_empty=True)

    def to_internal_value(self, data):
        # Keep keys we do not read (in_voicemail, ...) exactly as Retell sent them.
        validated = super().to_internal_value(data)
        return {**data, **validated}


class CallSerializer(serializers.Serializer):
    """The call object of webhooks and function calls (§1.3): the fields we read."""

    call_id = StrictCharField(max_length=CALL_ID_MAX)
    agent_id = StrictCharField(required=False, allow_blank=True, max_length=AGENT_ID_MAX)
    from_number = StrictCharField(required=False, allow_blank=True, max_length=NUMBER_MAX)
    to_number = StrictCharField(required=False, allow_blank=True, max_length=NUMBER_MAX)
    direction = serializers.ChoiceField(choices=["inbound", "outbound"], required=False)
    call_status = StrictCharField(required=False, allow_blank=True, max_length=32)
    disconnection_reason = StrictCharField(required=False, allow_blank=True, max_length=64)
    transcript = StrictCharField(required=False, allow_blank=True, trim_whitespace=False)
    start_timestamp = StrictIntegerField(required=False, min_value=0, max_value=MS_MAX)
    end_timestamp = StrictIntegerField(required=False, min_value=0, max_value=MS_MAX)
    duration_ms = StrictIntegerField(required=False, min_value=0, max_value=DURATION_MS_MAX)
    retell_llm_dynamic_variables = _variables()
    collected_dynamic_variables = _variables()
    call_analysis = CallAnalysisSerializer(required=False)

    def to_internal_value(self, data):
        validated = super().to_internal_value(data)
        return {**data, **validated}


class WebhookSerializer(serializers.Serializer):
    """`{"event", "call"}` (§1.2). Of an event we do not act on only the name is read (it is
    acknowledged and dropped); an event we act on must carry a call we can store."""

    event = StrictCharField(max_length=64)
    call = CallSerializer(required=False)

    def to_internal_value(self, data):
        event = data.get("event") if isinstance(data, dict) else None
        if isinstance(data, dict) and not (isinstance(event, str) and event in HANDLED_EVENTS):
            data = {"event": event}
        return super().to_internal_value(data)

    def validate(self, attrs):
        if attrs["event"] in HANDLED_EVENTS and "call" not in attrs:  # a str by now
            raise serializers.ValidationError({"call": ["This field is required."]})
        return attrs

    @property
    def handled(self) -> bool:
        return self.validated_data["event"] in HANDLED_EVENTS


class CallInboundSerializer(serializers.Serializer):
    from_number = StrictCharField(allow_blank=True, max_length=NUMBER_MAX)
    to_number = StrictCharField(max_length=NUMBER_MAX)
    agent_id = StrictCharField(required=False, allow_blank=True, max_length=AGENT_ID_MAX)
    agent_version = StrictIntegerField(required=False, min_value=0)


class InboundSerializer(serializers.Serializer):
    """`{"event": "call_inbound", "call_inbound": {...}}` (§4.2)."""

    event = StrictCharField(required=False, max_length=64)
    call_inbound = CallInboundSerializer()


class LiveCallSerializer(CallSerializer):
    """The call of a custom-function request (mid-call: most fields are not there yet)."""

    call_id = StrictCharField(max_length=CALL_ID_MAX, required=False, allow_blank=True)


class FunctionCallSerializer(serializers.Serializer):
    """`{"name", "args", "call"}` (§4.1), or the arguments alone (`args_at_root`, see
    `function_envelope`; the function's name then comes from the URL, `context["function"]`).
    The args are read by the function itself (`telephony.live.FunctionArgsSerializer`) so that
    it can answer bad ones aloud."""

    # Retell's tool names: a-zA-Z0-9_- and at most 64 characters (§4.1).
    name = StrictCharField(max_length=64, validators=[RegexValidator(r"^[A-Za-z0-9_-]+$")])
    args = serializers.JSONField(required=False, default=dict)
    call = LiveCallSerializer(required=False, default=dict)

    def to_internal_value(self, data):
        return super().to_internal_value(function_envelope(data, self.context.get("function") or ""))


def function_envelope(body, url_function: str):
    """The body as `{"name", "args", "call"}`, whichever way the tool is configured.

    With `args_at_root: true` Retell "passes the parameters as root level JSON object instead of
    nested under 'args'" (https://docs.retellai.com/api-references/create-retell-llm, the custom
    tool's `args_at_root`); its docs do not say whether `name` and `call` come along, and
    integrations built against it see the arguments alone. So such a tool's URL names the
    function, `.../functions/<key>?function=book_appointment`, and the name is never read from
    the body: at the root, `name` is book_appointment's own argument, the caller's name. A root
    `call` object, should Retell send one, is still the call; a root `name` equal to the URL's
    function is Retell's function name, not the caller's, and is dropped. A body with an `args`
    object is the default shape whatever the URL says (the signed body wins).
    """
    if not isinstance(body, dict) or not url_function:
        return body
    if isinstance(body.get("args"), dict):
        return {"name": url_function, **body}
    args = {key: value for key, value in body.items() if key != "call"}
    if args.get("name") == url_function:
        del args["name"]
    envelope = {"name": url_function, "args": args}
    if "call" in body:
        envelope["call"] = body["call"]
    return envelope


def _arg(max_length: int) -> "ScalarTextField":
    return ScalarTextField(required=False, allow_blank=True, max_length=max_length)


class ScalarTextField(serializers.CharField):
    """An argument the LLM filled in: text, or a number it did not quote ("time": 11)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class FunctionArgsSerializer(serializers.Serializer):
    """A live function's arguments, by their canonical names (telephony.live.normalized_args)."""

    date = _arg(40)
    date_to = _arg(40)
    time = _arg(40)
    part_of_day = _arg(20)
    name = _arg(200)
    email = _arg(254)
    service = _arg(200)
    notes = _arg(2000)
    new_date = _arg(40)
    new_time = _arg(40)
    appointment_ref = _arg(20)
    reason = _arg(500)
