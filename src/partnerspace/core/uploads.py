"""A ceiling on what an upload may write to disk, enforced while the request body is read.

Django stores every uploaded file (in memory, then in a temporary file) before a form can
look at its size, so a 2 GB upload would fill the disk only to be refused. This handler,
first in FILE_UPLOAD_HANDLERS, stops passing a file's data on once it is over the ceiling
and hands the view an empty stand-in that knows the full size: the form or service that owns
the upload refuses it with its own message, as before.

The body is still read to its end (the form's other fields, the CSRF token among them, come
after the file); a proxy in front should refuse larger bodies outright.
"""

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(UploadedFile[bytes]):
    """A file that was not kept: no content, its real size."""

    def __init__(self, name: str | None, content_type: str | None, size: int) -> None:
        super().__init__(BytesIO(b""), name, content_type, size)


class UploadCeilingHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.PARTNERSPACE_UPLOAD_MAX_BYTES:
            return None  # the handlers after this one get no more of it
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile[bytes] | None:
        if self.received > settings.PARTNERSPACE_UPLOAD_MAX_BYTES:
            return OversizedUpload(self.file_name, self.content_type, self.received)
        return None  # the next handler (memory or temporary file) has it all
