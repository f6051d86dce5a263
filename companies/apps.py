from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = _("Companies and branches")

    def ready(self):
        from django.db.models.signals import post_delete, post_save, pre_delete

        from companies import checks  # noqa: F401  (registers the deploy checks)
        from companies.models import Branch, PhoneNumber, Service

        # Cache invalidation, not business flow: whoever changes a number, the lookup forgets it.
        post_save.connect(_forget_number, sender=PhoneNumber, dispatch_uid="forget-number-save")
        post_delete.connect(_forget_number, sender=PhoneNumber, dispatch_uid="forget-number-delete")
        post_save.connect(_forget_branch_numbers, sender=Branch, dispatch_uid="forget-branch-numbers")
        # Before: deleting a branch unlinks its numbers without saving them (SET_NULL).
        pre_delete.connect(_forget_branch_numbers, sender=Branch, dispatch_uid="forget-branch-deleted")
        post_save.connect(_forget_services, sender=Service, dispatch_uid="forget-services-save")
        post_delete.connect(_forget_services, sender=Service, dispatch_uid="forget-services-delete")


def _forget_number(sender, instance, **kwargs):
    from companies.phone_lookup import phone_number_forget

    phone_number_forget(instance.number)


def _forget_branch_numbers(sender, instance, **kwargs):
    from companies.phone_lookup import phone_number_forget

    for number in instance.phone_numbers.values_list("number", flat=True):
        phone_number_forget(number)


def _forget_services(sender, instance, **kwargs):
    from companies.services_offered import services_forget

    services_forget(instance.branch_id)
