"""The real type of an evidence file, sniffed from its first bytes (never from its name or the client's word)."""
from typing import get_args

import filetype

from models.evidence import clean_file_name
from models.policy import FileType

SNIFF_BYTES = 8192
"""How many leading bytes sniffing reads: enough for an Office file's first ZIP entries and a video's ftyp box."""

_CONTENT_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "jpg": "image/jpeg",
    "png": "image/png",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "mp3": "audio/mpeg",
}
assert set(_CONTENT_TYPES) == set(get_args(FileType))


def sniff(head: bytes) -> FileType | None:
    """The evidence type the leading bytes show (docx/xlsx/pptx inside their ZIP, mov by its `qt` brand), or None."""
    if not head:
        return None
    try:
        kind = filetype.guess(bytes(head[:SNIFF_BYTES]))
    except (ValueError, IndexError, TypeError):
        return None
    extension = kind.extension if kind else None
    return extension if extension in _CONTENT_TYPES else None


def content_type_of(file_type: FileType) -> str:
    """The MIME type recorded and served for a sniffed type."""
    return _CONTENT_TYPES[file_type]


def mismatches(promised_size: int, promised_sha256: str, allowed: list[FileType], item: str,
               size: int, sha256: str | None, sniffed: FileType | None) -> list[dict[str, str]]:
    """Each way a stored file differs from its promise, per field ([] when it is what was promised)."""
    found = []
    if size != promised_size:
        found.append({"field": "size",
                      "message": f"the stored file has {size} bytes, not the promised {promised_size}"})
    if sha256 is not None and sha256 != promised_sha256:
        found.append({"field": "sha256", "message": f"the stored file's SHA-256 is {sha256}, not the promised "
                                                    f"{promised_sha256}"})
    if sniffed not in allowed:
        what = f"a {sniffed} file" if sniffed else "not a recognised file type"
        found.append({"field": "file", "message": f"the bytes are {what}; item '{item}' takes {', '.join(allowed)}"})
    return found


def original_file_name(name: str) -> str:
    """The name kept for download; a name carrying a path (`../`, `a/b`, `C:\\x`) is refused, not trimmed."""
    if "/" in name or "\\" in name:
        raise ValueError("must be a bare file name, without '/' or '\\' (a path such as '../x' is refused)")
    return clean_file_name(name)
