from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = "Companies and branches"

    def ready(self):
        from django.db.models.signals import post_delete, post_migrate, post_save

        from companies import checks  # noqa: F401  (registers the deploy checks)
        from companies.models import Branch, PhoneNumber

        # Cache invalidation, not business flow: whoever changes a number, the lookup forgets it.
        post_save.connect(_forget_number, sender=PhoneNumber, dispatch_uid="forget-number-save")
        post_delete.connect(_forget_number, sender=PhoneNumber, dispatch_uid="forget-number-delete")
        post_save.connect(_forget_branch_numbers, sender=Branch, dispatch_uid="forget-branch-numbers")
        # Permissions exist only after migrate: the staff group then gets what STAFF_PERMISSIONS says.
        post_migrate.connect(_refresh_staff_group, sender=self, dispatch_uid="refresh-staff-group")


def _refresh_staff_group(sender, using="default", **kwargs):
    from django.contrib.auth.models import Group

    from companies.services import STAFF_GROUP, staff_group_ensure

    if Group.objects.using(using).filter(name=STAFF_GROUP).exists():
        staff_group_ensure()


def _forget_number(sender, instance, **kwargs):
    from companies.phone_lookup import phone_number_forget

    phone_number_forget(instance.number)


def _forget_branch_numbers(sender, instance, **kwargs):
    from companies.phone_lookup import phone_number_forget

    for number in instance.phone_numbers.values_list("number", flat=True):
        phone_number_forget(number)
