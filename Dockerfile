# The portal's image: gunicorn (web), Celery worker and beat all run from it.
# Settings come from the environment only (see .env.example and README.md).
FROM python:3.11-slim-bookworm

# PYTHONPATH: the project folder comes first, so settings.BASE_DIR is /app (templates,
# static, locale) whatever `pip install .` also put in site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=conservatoire.settings \
    PYTHONPATH=/app

# WeasyPrint's system libraries (Pango, HarfBuzz), a font, gettext for the catalogs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . .
RUN pip install . \
    && python scripts/check_system.py \
    && python manage.py compilemessages -l fr --ignore=.venv \
    && DEBUG=0 SECRET_KEY=collectstatic-at-build-time-only-not-a-real-secret-key-0123456789 \
       python manage.py collectstatic --noinput

# Run as an unprivileged user; private files live outside the code, on a volume.
RUN useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /srv/private-media \
    && chown app:app /srv/private-media \
    && chmod 700 /srv/private-media
USER app
ENV MEDIA_ROOT=/srv/private-media

EXPOSE 8000
CMD ["gunicorn", "conservatoire.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--timeout", "60", "--access-logfile", "-"]
