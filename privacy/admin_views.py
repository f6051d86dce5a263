"""The "Data protection request" page in the admin (console.site adds its URLs): an owner types a
caller's number (and email), sees what is stored about them, downloads it, or erases it after a
confirmation that repeats what will happen; then reads what staff must still do by hand.

Owners only (companies/roles.py), for their own company; superusers choose the company. Everyone
else gets 403, whatever they post (deny by default). The number travels in POST bodies only, never
in a URL, so it is in no access log; downloads are named by company and date, not by person.
"""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from companies.admin_scoping import staff_company
from companies.crypto import DecryptionError
from companies.models import Company, StaffRole
from companies.roles import role_of
from core import clock
from privacy.erasure import CalendarItem, erase_person, erasure_plan
from privacy.export import person_data_export
from privacy.person import TABLES, PersonNotValid, person_identify


def privacy_urls(view) -> list:
    """The page's URLs; `view` wraps a function of (site, request) as the admin's own views."""
    return [
        path("data-protection/", view(request_view), name="privacy_request"),
        path("data-protection/export/", view(export_view), name="privacy_export"),
        path("data-protection/erase/", view(erase_view), name="privacy_erase"),
    ]


def may_answer_requests(user) -> bool:
    """Owners (their company) and superusers (any): access and erasure reach all of a company's
    callers, so it is set-up work, not the daily work staff do."""
    if not (user.is_active and user.is_staff):
        return False
    return user.is_superuser or role_of(user) == StaffRole.OWNER


class PersonForm(forms.Form):
    company = forms.ModelChoiceField(queryset=Company.objects.order_by("name"), label=gettext_lazy("Company"))
    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=40,
        help_text=gettext_lazy("As the caller gives it, e.g. 0151 12345678 or +49 151 12345678."),
    )
    email = forms.CharField(label=gettext_lazy("Email (optional)"), max_length=254, required=False)

    def __init__(self, *args, company: Company | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.company = company
        if company is not None:  # an owner's own company: nothing to choose
            del self.fields["company"]

    def clean(self):
        data = super().clean()
        company = self.company or data.get("company")
        if company is None or "phone" not in data:
            return data
        try:
            person_identify(company=company, phone=data["phone"], email=data.get("email", ""))
        except PersonNotValid as exc:
            raise ValidationError(str(exc)) from None
        return {**data, "company": company}

    @property
    def person(self) -> dict:
        data = self.cleaned_data
        return {"company": data["company"], "phone": data["phone"], "email": data.get("email", "")}


def _form(request) -> PersonForm:
    """The form for whoever asks: an owner's company, a superuser's choice; 403 for anyone else."""
    if not may_answer_requests(request.user):
        raise PermissionDenied
    company = None
    if not request.user.is_superuser:
        company = staff_company(request)
        if company is None:
            raise PermissionDenied
    return PersonForm(request.POST if request.method == "POST" else None, company=company)


def _page(site, request, template: str, status: int = 200, **context) -> TemplateResponse:
    context = {**site.each_context(request), "title": _("Data protection request"), **context}
    return TemplateResponse(request, f"privacy/{template}", context, status=status)


def _post_only(view):
    def checked(site, request):
        if request.method != "POST":
            _form(request)  # 403 before 405: a non-owner learns nothing of the page
            return HttpResponseNotAllowed(["POST"])
        return view(site, request)

    return checked


def request_view(site, request):
    """The form; posted, what is stored about the person and what erasure would do."""
    form = _form(request)
    if request.method != "POST":
        return _page(site, request, "request.html", form=form)
    if not form.is_valid():
        return _page(site, request, "request.html", status=400, form=form)
    return _page(site, request, "request.html", form=form, **_plan_context(form))


@_post_only
def export_view(site, request):
    form = _form(request)
    if not form.is_valid():
        return _page(site, request, "request.html", status=400, form=form)
    summary = request.POST.get("format") == "text"
    try:
        text = person_data_export(**form.person, summary=summary)
    except DecryptionError:
        form.add_error(
            None, _("Some stored text cannot be decrypted (a key is missing from ENCRYPTION_KEYS).")
        )
        return _page(site, request, "request.html", status=409, form=form)
    return _download(text, form.cleaned_data["company"], summary=summary)


def _download(text: str, company: Company, *, summary: bool) -> HttpResponse:
    kind, extension = ("text/plain", "txt") if summary else ("application/json", "json")
    response = HttpResponse(text, content_type=f"{kind}; charset=utf-8")
    name = f"askpro-{company.slug}-person-{clock.now():%Y%m%d-%H%M%S}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@_post_only
def erase_view(site, request):
    """Without `confirmed`: the confirmation, repeating what will happen. With it: the erasure."""
    form = _form(request)
    if not form.is_valid():
        return _page(site, request, "request.html", status=400, form=form)
    if request.POST.get("confirmed") != "yes":
        return _page(site, request, "confirm.html", form=form, **_plan_context(form))
    result = erase_person(**form.person, user=request.user)
    labels = {table.key: table.label for table in TABLES}
    erased = [(labels[key], count) for key, count in result.erased.items()]
    return _page(site, request, "erased.html", form=form, result=result, erased=erased)


def _plan_context(form: PersonForm) -> dict:
    plan = erasure_plan(**form.person)
    counts = plan.counts
    return {
        "plan": plan,
        "found": [(table.label, counts[table.key]) for table in TABLES],
        "future": [CalendarItem.of(appointment) for appointment in [*plan.to_cancel, *plan.unsure]],
        "company": form.cleaned_data["company"],
    }
