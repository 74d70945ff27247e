"""Language choice without Qt, and the marker for texts that ``app/`` hands to the window.

``QT_TRANSLATE_NOOP("Context", "text")`` returns ``text`` unchanged; ``pyside6-lupdate`` extracts it into
``resources/translations/vigil_*.ts`` and the window shows it through ``translate(context, text)``
(``widgets/i18n.py``). The CLI itself stays English.
"""

from __future__ import annotations

import locale
import os

LANGUAGES = ("en", "ru")
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 (the name lupdate looks for)
    """Mark ``text`` for extraction under ``context``; translated where it is shown."""
    del context
    return text


def system_language(locale_name: str | None = None) -> str:
    """``ru`` when the system locale (``locale_name``, else LC_ALL / LC_MESSAGES / LANG) is Russian, else ``en``."""
    name = locale_name
    if name is None:
        name = next((os.environ[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(v)), "")
        if not name:
            name = (locale.getlocale()[0] or "") if hasattr(locale, "getlocale") else ""
    code = name.split(".")[0].split("_")[0].split("-")[0].lower()
    return code if code in LANGUAGES else "en"


def choose_language(cli: str | None, saved: str | None, locale_name: str | None = None) -> str:
    """``--lang`` wins, then the saved *View > Language* choice, then the system locale."""
    for lang in (cli, saved):
        if lang in LANGUAGES:
            return str(lang)
    return system_language(locale_name)


class UserText(str):
    """An English text (what ``str()`` and the CLI show) that remembers its template and fields, so that
    the window can show it in its language: ``translated_text`` in ``widgets/i18n.py``."""

    template: str
    fields: dict[str, object]

    def __new__(cls, template: str, fields: dict[str, object]) -> UserText:
        self = super().__new__(cls, template.format(**fields) if fields else template)
        self.template, self.fields = template, fields
        return self

    def __reduce__(self) -> tuple[type[UserText], tuple[str, dict[str, object]]]:  # pickles across processes
        return (UserText, (self.template, self.fields))


def user_text(template: str, **fields: object) -> UserText:
    """``template.format(**fields)`` in English, translatable later under the context ``UserError``:
    ``raise AuthError(user_text(QT_TRANSLATE_NOOP("UserError", "no account named {name}"), name=name))``."""
    return UserText(template, fields)
