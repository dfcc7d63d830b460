"""The one way a view follows a `next=` it was given: only to a path on this site, never to another host."""
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, fallback, *args, **kwargs):
    """The POSTed (or queried) `next` when it stays on this site, else `fallback` (a URL or a URL name with
    its arguments). `//evil.example`, `https://evil.example` and `javascript:` all fall back."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # a path of this site only: a bare word ("0") would be taken for a URL name by redirect() and fail
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                                  require_https=request.is_secure()):
        return target
    return resolve_url(fallback, *args, **kwargs)
