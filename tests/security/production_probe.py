"""Run by tests/security/test_production_settings.py in a subprocess with DEBUG=0.

It sets up an in-memory test database, logs a family in over "https" (behind the proxy's
X-Forwarded-Proto) and prints, as JSON, the cookies' flags and the security headers.
"""

import json


def cookie(morsel) -> dict:
    return {
        "secure": bool(morsel["secure"]),
        "httponly": bool(morsel["httponly"]),
        "samesite": morsel["samesite"],
        "path": morsel["path"],
        "domain": morsel["domain"],
    }


def main() -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment

    from accounts.models import Family, User

    setup_test_environment()
    connection.settings_dict["TEST"]["MIGRATE"] = False  # tables from the models: quicker
    connection.creation.create_test_db(verbosity=0)
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}).enable()
    family = Family.objects.create(name="Martin")
    User.objects.create_user("martin-claire", password="Violoncelle-du-jeudi-2025", family=family)

    host = "reinscriptions.limonest.fr"
    plain_http = Client(HTTP_HOST=host).get("/compte/connexion/")
    client = Client(HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https")
    login_page = client.get("/compte/connexion/")
    logged_in = client.post(
        "/compte/connexion/",
        {"username": "martin-claire", "password": "Violoncelle-du-jeudi-2025"},
    )
    family_space = client.get("/espace/")
    admin_login = Client(HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https").get("/gestion/login/")
    return {
        "debug": settings.DEBUG,
        "http_status": plain_http.status_code,
        "http_location": plain_http.get("Location", ""),
        "login_status": logged_in.status_code,
        "family_space_status": family_space.status_code,
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "csrf_cookie": cookie(login_page.cookies[settings.CSRF_COOKIE_NAME]),
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "session_cookie": cookie(logged_in.cookies[settings.SESSION_COOKIE_NAME]),
        "hsts": login_page.get("Strict-Transport-Security", ""),
        "csp_login": login_page.get("Content-Security-Policy", ""),
        "csp_family_space": family_space.get("Content-Security-Policy", ""),
        "csp_admin": admin_login.get("Content-Security-Policy", ""),
        "nosniff": family_space.get("X-Content-Type-Options", ""),
        "frame_options": family_space.get("X-Frame-Options", ""),
        "referrer_policy": family_space.get("Referrer-Policy", ""),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
