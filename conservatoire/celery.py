"""The Celery application: broker from CELERY_BROKER_URL, eager when it is absent."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conservatoire.settings")

app = Celery("conservatoire")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
