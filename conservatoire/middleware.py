"""Cross-cutting: a French 503 when the database is down, the CSP header, session activity."""

import logging
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import DatabaseError, OperationalError, connections
from django.db.utils import InterfaceError
from django.template.response import TemplateResponse
from django.urls import reverse

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Answer a French 503 page, not a traceback, when the database is unreachable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable: %s", exception)
        for connection in connections.all():
            connection.close_if_unusable_or_obsolete()
        response = TemplateResponse(request, "503.html", status=503)
        response["Retry-After"] = "30"
        response.render()
        # The session lives in the database: SessionMiddleware would read it again to
        # refresh its cookie and fail with a 500. Without ``request.session`` it leaves
        # the response and the cookie alone, so the family is still logged in afterwards.
        if hasattr(request, "session"):
            del request.session
        return response


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on every HTML page: scripts and styles from our origin only.

    ``settings.CONTENT_SECURITY_POLICY`` applies to the portal. Django's admin (and
    django-import-export, django-simple-history) write a few ``style`` attributes and a
    ``<style>`` element, so the admin gets ``CONTENT_SECURITY_POLICY_ADMIN``, which allows
    inline styles but still no inline script. A response that already has the header
    keeps it; PDFs and downloads (not HTML) get none. With ``DEBUG``, Django's technical
    404 and 500 pages (inline styles and scripts) are left without it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY
        self.admin_policy = getattr(settings, "CONTENT_SECURITY_POLICY_ADMIN", self.policy)
        self._admin_prefix = None

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" in response:
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        if settings.DEBUG and response.status_code in (404, 500):
            return response
        admin = request.path_info.startswith(self.admin_prefix)
        response["Content-Security-Policy"] = self.admin_policy if admin else self.policy
        return response

    @property
    def admin_prefix(self) -> str:
        if self._admin_prefix is None:
            self._admin_prefix = reverse("admin:index")
        return self._admin_prefix


def current_minute() -> int:
    """Minutes since the epoch (the session-activity grain; tests replace it)."""
    return int(time.time() // 60)


class SessionActivityMiddleware:
    """Keep a signed-in session alive while it is used, writing it at most once a minute.

    A family's session ends ``SESSION_COOKIE_AGE`` after its last page (a shared
    phone, a library computer). Django's ``SESSION_SAVE_EVERY_REQUEST`` would write
    the session row on every page — one transaction per request at the campaign
    opening — for an expiry that only needs to move by the minute. This marks the
    session modified when the minute changes, so the timeout slides with a grain
    of one minute, and only for a signed-in session the request already read.
    """

    ACTIVITY_KEY = "_activity_minute"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)  # gone after a 503, see above
        if session is None or not session.accessed:
            return response
        try:
            signed_in = SESSION_KEY in session  # already loaded: no query
        except DatabaseError:  # it was not, and the database is gone: leave it
            return response
        if signed_in:
            minute = current_minute()
            if session.get(self.ACTIVITY_KEY) != minute:
                session[self.ACTIVITY_KEY] = minute
        return response
