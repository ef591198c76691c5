"""Cross-cutting: a French 503 when the database is down, the CSP's scope, session activity."""

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


class ContentSecurityPolicyScopeMiddleware:
    """Which responses django-csp's ``CSPMiddleware`` (just above it) gives a policy to.

    ``settings.CONTENT_SECURITY_POLICY`` applies to the portal's HTML pages. Django's
    admin (and django-import-export, django-simple-history) write a few ``style``
    attributes and a ``<style>`` element, so under the admin the directives of
    ``CONTENT_SECURITY_POLICY_ADMIN_REPLACE`` replace the portal's: inline styles,
    still no inline script. PDFs and downloads (not HTML) get no policy. The view's
    own choices (``csp.decorators``) win. ``CSPMiddleware`` itself leaves alone a
    response that already has the header, and Django's technical 404 and 500
    pages with ``DEBUG``.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_replace = getattr(settings, "CONTENT_SECURITY_POLICY_ADMIN_REPLACE", None)
        self._admin_prefix = None

    def __call__(self, request):
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html"):
            response._csp_exempt = True  # what @csp_exempt() sets
        elif self.admin_replace and request.path_info.startswith(self.admin_prefix):
            # What @csp_replace(...) sets, under the view's own replacements.
            response._csp_replace = {
                **self.admin_replace,
                **(getattr(response, "_csp_replace", None) or {}),
            }
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
