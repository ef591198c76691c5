"""An upload handler that stops storing a file as soon as it passes the size limit.

Without it, a 2 GB upload would be written to a temporary file before the view
could refuse it. The names of the skipped files are kept on the request so the
view can tell the family which file was too large.
"""

from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from .validators import MAX_FILE_SIZE


class SizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None, max_size: int = MAX_FILE_SIZE):
        super().__init__(request)
        self.max_size = max_size
        self.received = 0
        self.oversized: list[tuple[str, int]] = []
        if request is not None:
            request.documents_oversized = self.oversized

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_size:
            self.oversized.append((self.file_name or "", self.received))
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None
