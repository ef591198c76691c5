from django.utils.functional import SimpleLazyObject

from .models import Identity


def portal(request):
    """The conservatoire's identity (name, commune, contact…), for every template.

    Read when a template first uses it, from the per-process cache of
    :meth:`Identity.current`: no query on a page once the process has read it.
    """
    return {"conservatoire": SimpleLazyObject(Identity.current)}
