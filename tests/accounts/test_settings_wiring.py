"""The project settings enable the accounts' backend and axes' identifier counter.

These read ``conservatoire/settings.py`` itself, not the test overrides.
"""

import conservatoire.settings as project

ACCOUNTS_SETTINGS = {
    "AUTHENTICATION_BACKENDS": [
        "axes.backends.AxesStandaloneBackend",
        "accounts.backends.IdentifierBackend",
    ],
}


def test_project_settings_authenticate_with_axes_then_the_identifier_backend():
    assert project.AUTHENTICATION_BACKENDS == ACCOUNTS_SETTINGS["AUTHENTICATION_BACKENDS"], (
        "Add to conservatoire/settings.py: AUTHENTICATION_BACKENDS = "
        '["axes.backends.AxesStandaloneBackend", "accounts.backends.IdentifierBackend"]'
    )


def test_project_settings_count_axes_failures_per_identifier_whatever_its_case():
    assert getattr(project, "AXES_USERNAME_CALLABLE", None) == "accounts.backends.axes_username"


def test_sessions_end_after_30_minutes_idle():
    assert project.SESSION_COOKIE_AGE == 30 * 60
    # The expiry slides with activity through SessionActivityMiddleware (once a minute).
    assert "conservatoire.middleware.SessionActivityMiddleware" in project.MIDDLEWARE
    assert project.SESSION_ENGINE == "django.contrib.sessions.backends.db"
