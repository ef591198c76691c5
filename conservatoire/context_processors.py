from django.conf import settings


def portal(request):
    """The conservatoire's name and contact, for every template."""
    return {"conservatoire": settings.CONSERVATOIRE}
