"""Size limits on input, so a hostile or broken file is refused with a clear message
instead of exhausting memory or time.

The limits are far above what real deal data needs (the shipped dataset is 80 entities
and 143 deals in under 100 kB); README's "Input files" lists them. They are read when a
file is opened, so tests can lower them.
"""

from __future__ import annotations

#: Largest record: one CSV row, one JSON Lines line, one record of a JSON document.
MAX_RECORD_BYTES = 1 << 20  # 1 MiB

#: Largest CSV or JSON Lines file (read one record at a time).
MAX_STREAM_FILE_BYTES = 16 << 30  # 16 GiB

#: How messages name the files :data:`MAX_STREAM_FILE_BYTES` applies to.
STREAM_FILES = "CSV and JSON Lines files"

#: Largest ``.json`` document (read whole; use JSON Lines or CSV for more).
MAX_JSON_DOCUMENT_BYTES = 256 << 20  # 256 MiB

#: Largest YAML document (read whole by a pure-Python parser; use CSV or JSON Lines for more).
MAX_YAML_DOCUMENT_BYTES = 16 << 20  # 16 MiB

#: Deepest nesting of lists and mappings inside one record (records are flat: a field is
#: a value or a list of values).
MAX_NESTING = 16

#: Most values one YAML record may expand to once its aliases are followed (an alias bomb
#: is a few lines that expand to billions of values).
MAX_YAML_VALUES_PER_RECORD = 10_000


def size_text(n: int) -> str:
    """``n`` bytes as people write it: ``1 MiB``, ``16 GiB``, ``512 bytes``."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"
