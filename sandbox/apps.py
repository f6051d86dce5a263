from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """The local Cal.com v2 stand-in (`manage.py calcom_sandbox`, `make run`, tests).

    A development app: no production module imports it; installed so its command is found.
    """

    name = "sandbox"
    verbose_name = "Cal.com sandbox"
