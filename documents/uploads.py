"""An upload handler that stops storing a file as soon as it passes the size limit.

Without it, a 2 GB upload would be written to a temporary file before the view
could refuse it. The files skipped are kept on the request
(``request.documents_oversized``: field, name, bytes received) so the view can tell
the family which file was too large, next to the row it was chosen for.

:func:`size_limited_uploads` puts the handler in place on a view; the view's CSRF
check runs after it (the CSRF middleware would read the body first otherwise).
"""

from functools import wraps
from typing import NamedTuple

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .validators import MAX_FILE_SIZE


class Oversized(NamedTuple):
    """A file stopped while it was received: the form field it was chosen in, its name."""

    field_name: str
    name: str
    received: int


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None, max_size: int = MAX_FILE_SIZE):
        super().__init__(request)
        self.max_size = max_size
        self.received = 0
        self.oversized: list[Oversized] = []
        if request is not None:
            request.documents_oversized = self.oversized

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_size:
            self.oversized.append(
                Oversized(self.field_name or "", self.file_name or "", self.received)
            )
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def oversized_files(request) -> list[Oversized]:
    """The files :class:`SizeLimitUploadHandler` stopped in this request."""
    return list(getattr(request, "documents_oversized", []))


def size_limited_uploads(view):
    """Decorate a view (or, through ``method_decorator``, a class's ``dispatch``) that
    receives the family's files: a POST's files pass :class:`SizeLimitUploadHandler`,
    then the CSRF check runs, as the middleware would have."""
    protected = csrf_protect(view)

    @csrf_exempt  # checked by ``protected``, once the handler is in place
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            request.upload_handlers.insert(0, SizeLimitUploadHandler(request))
        return protected(request, *args, **kwargs)

    return wrapper
