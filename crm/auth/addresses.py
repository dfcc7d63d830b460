from django.conf import settings


def client_address(request):
    """The client's address: the connection's, or with TRUSTED_PROXY_COUNT = n reverse proxies in front, the
    n-th entry from the right of X-Forwarded-For (each trusted proxy appends the address it was called from;
    entries further left are whatever the client wrote). DRF's NUM_PROXIES reads the header the same way."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if proxies <= 0 or not hops:
        return remote
    return hops[-min(proxies, len(hops))][:100]
