"""One JSON POST for the HTTP channels (WeCom webhook, SMS gateway), with the error split every channel uses."""
import requests

from . import ChannelDown, Rejected

TIMEOUT = (3, 10)  # connect, read (seconds)


def post_json(url, payload, headers=None):
    """The decoded JSON answer of a 2xx; ChannelDown for no answer, 408/425/429 and 5xx; Rejected for other 4xx."""
    if not url:
        raise ChannelDown("no URL configured")
    try:
        response = requests.post(url, json=payload, headers=headers or {}, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise ChannelDown(f"{type(exc).__name__}: {exc}"[:300]) from exc
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        raise ChannelDown(f"HTTP {response.status_code}: {response.text[:200]}")
    if response.status_code >= 400:
        raise Rejected(f"HTTP {response.status_code}: {response.text[:200]}")
    try:
        return response.json()
    except ValueError:
        return {}
