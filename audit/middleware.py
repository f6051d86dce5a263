"""Every write a signed-in staff member's request makes is theirs in the audit trail."""

from audit.actors import acting_as, staff


class StaffActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        with acting_as(staff(user)):
            return self.get_response(request)
