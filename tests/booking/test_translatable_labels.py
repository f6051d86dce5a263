"""What staff read about our models in admin (app and model names, field labels, help texts and
choices) is marked for translation, so makemessages finds it and German can be added."""

import pytest
from django.apps import apps
from django.utils.functional import Promise

APPS = ["booking", "telephony", "mcp_api", "integrations"]


def _fields(model):
    return [field for field in [*model._meta.fields, *model._meta.many_to_many] if not field.auto_created]


@pytest.mark.parametrize("app_label", APPS)
def test_app_model_and_field_labels_are_marked_for_translation(app_label):
    config = apps.get_app_config(app_label)
    unmarked = [] if isinstance(config.verbose_name, Promise) else [app_label]
    for model in config.get_models():
        name = model.__name__
        unmarked += [
            f"{name}.Meta.{attr}"
            for attr in ("verbose_name", "verbose_name_plural")
            if not isinstance(getattr(model._meta, attr), Promise)
        ]
        for field in _fields(model):
            if not isinstance(field.verbose_name, Promise):
                unmarked.append(f"{name}.{field.name}")
            if field.help_text and not isinstance(field.help_text, Promise):
                unmarked.append(f"{name}.{field.name} help_text")
            unmarked += [
                f"{name}.{field.name} choice {value}"
                for value, label in field.flatchoices
                if not isinstance(label, Promise)
            ]
    assert unmarked == []
