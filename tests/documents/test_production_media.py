"""With production settings (DEBUG off), an uploaded file has no public URL."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Kq9vLm2Pz8Rt4Wn6Yb3Hc5Jd1Fg0Ss-Aa_Ee+Ii=Oo!Uu@Bb#Cc$Dd%",
    "ALLOWED_HOSTS": "reinscriptions.limonest.fr",
    "DATABASE_URL": "sqlite:////tmp/conservatoire-documents-media-check.sqlite3",
    "EMAIL_URL": "smtp://mailer@smtp.example.org:587",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
}

CODE = """
import django
django.setup()
from pathlib import Path
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from django.urls import Resolver404, resolve

# No collectstatic here: serve templates' {% static %} without the manifest.
override_settings(STORAGES={**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}).enable()
media = Path(settings.MEDIA_ROOT)
(media / "documents").mkdir(parents=True, exist_ok=True)
(media / "documents" / "secret.pdf").write_bytes(b"%PDF-1.4 secret")
client = Client(HTTP_HOST="reinscriptions.limonest.fr")
for url in [settings.MEDIA_URL + "documents/secret.pdf", "/media/documents/secret.pdf",
            "/static/../private-media/documents/secret.pdf", "/documents/secret.pdf"]:
    response = client.get(url, secure=True)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"secret" not in body, url
    assert response.status_code in (301, 302, 404), (url, response.status_code)
    try:
        match = resolve(url)
    except Resolver404:
        pass
    else:
        assert match.url_name not in {"serve", "static"}, url
assert not getattr(settings, "WHITENOISE_ROOT", None)
assert all(Path(d).resolve() != media.resolve() for d in settings.STATICFILES_DIRS)
assert Path(settings.STATIC_ROOT).resolve() != media.resolve()
print("private")
"""


def test_media_folder_is_not_served_in_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    env.update(PRODUCTION_ENV)
    env["MEDIA_ROOT"] = str(tmp_path / "private-media")
    env["DJANGO_SETTINGS_MODULE"] = "conservatoire.settings"
    result = subprocess.run(
        [sys.executable, "-c", CODE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("private")
