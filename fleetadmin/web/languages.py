"""The languages a user can choose, and the cookie that carries the choice to every page.

The choice: UserPreferences.language (blank: the browser's), made with the header's switcher
(set_language) or on Settings, applied by fleetadmin.web.user_locale.UserLanguageMiddleware.
"""

from django.conf import settings
from django.utils.translation import get_language_info


def language_choices() -> list[tuple[str, str]]:
    """Return (code, name in that language) for every language of fleetadmin: Deutsch, English."""
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


def is_language(code: str) -> bool:
    """True when `code` is one of settings.LANGUAGES."""
    return code in dict(settings.LANGUAGES)


def set_language_cookie(response, language: str) -> None:
    """Put `language` into the language cookie, as Django's set_language view does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language,
        max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def forget_language_cookie(response) -> None:
    """Remove the language cookie: the browser's language (Accept-Language) decides again."""
    response.delete_cookie(
        settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
