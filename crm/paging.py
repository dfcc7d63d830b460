"""Server-side pages of a filtered list, shared by the list pages (customers, applications, alerts, audit log)."""
from django.core.paginator import Paginator

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50


def paged(request, queryset, sizes=PAGE_SIZES, counted=None):
    """{page, per_page, page_sizes, query}: the requested page at the requested size (one of `sizes`, else the
    default), and the query string without the page number, for the pager's links. `counted`: a queryset with
    the same rows to count instead, when `queryset` carries joins that only the displayed columns need."""
    try:
        per_page = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        per_page = DEFAULT_PAGE_SIZE
    if per_page not in sizes:
        per_page = DEFAULT_PAGE_SIZE
    query = request.GET.copy()
    query.pop("page", None)
    paginator = Paginator(queryset, per_page)
    if counted is not None:
        paginator.count = counted.count()  # overrides the cached property: one COUNT without the display joins
    return {"page": paginator.get_page(request.GET.get("page")), "per_page": per_page,
            "page_sizes": sizes, "query": query.urlencode()}
