"""What a reader sees: console tables and text (:mod:`.text`, :mod:`.entity_text`), the
HTML views (:mod:`.html` with ``templates/``) and file exports (:mod:`.export`)."""
