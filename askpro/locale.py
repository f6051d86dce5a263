"""Which language a request is answered in: staff pages (admin, the language switch) speak the
staff member's language, German unless their browser or their choice says otherwise; machine
endpoints (Retell, Cal.com, the API, metrics) always answer in English, whatever their client
sends, so a vendor's error body never changes language."""

from django.middleware.locale import LocaleMiddleware
from django.utils import translation

STAFF_PATHS = ("/admin/", "/i18n/")
MACHINE_LANGUAGE = "en"


class StaffLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path.startswith(STAFF_PATHS):
            return super().process_request(request)
        translation.activate(MACHINE_LANGUAGE)
        request.LANGUAGE_CODE = MACHINE_LANGUAGE
        return None

    def process_response(self, request, response):
        if request.path.startswith(STAFF_PATHS):
            return super().process_response(request, response)
        return response
