"""Chinese formats: Django's, except that dates are *written into inputs* as ISO 2026-12-04.

A form widget renders a date with the first of DATE_INPUT_FORMATS; Django's Chinese list starts with
%Y/%m/%d, and `<input type="date">` refuses "2026/12/04" (its value must be ISO), so every date field of every
form stayed blank in Chinese. ISO comes first here; 2026/12/04 and 2026年12月4日 are still accepted when typed."""
from django.conf.locale.zh_Hans.formats import *  # noqa: F401,F403
from django.conf.locale.zh_Hans.formats import DATE_INPUT_FORMATS as _DATES
from django.conf.locale.zh_Hans.formats import DATETIME_INPUT_FORMATS as _DATETIMES


def _iso_first(formats, iso):
    return [iso, *(f for f in formats if f != iso)]


DATE_INPUT_FORMATS = _iso_first(_DATES, "%Y-%m-%d")
DATETIME_INPUT_FORMATS = _iso_first(_DATETIMES, "%Y-%m-%d %H:%M:%S")
