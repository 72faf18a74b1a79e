"""HTTP translation for Osquery live query results."""

from __future__ import annotations

from ..call import Call, Reply
from .models import OsqueryBackend

DEFAULT_PAGE_SIZE = 20
DEFAULT_SORT = "createdAt"


def get_results(call: Call) -> Reply:
    # A null parameter (`page=` or `page=null`) means the documented default, like an absent one.
    # `int()`: an integral number written `20.0` or `2e1` is a valid integer, but arrives as a float.
    page = call.query.get("page")
    page_size = call.query.get("pageSize")
    sort = call.query.get("sort")
    results = OsqueryBackend.of(call).results(
        call.path_params["id"],
        call.path_params["actionId"],
        kuery=call.query.get("kuery"),
        page=max(1, 1 if page is None else int(page)),
        page_size=DEFAULT_PAGE_SIZE if page_size is None else int(page_size),
        sort=DEFAULT_SORT if sort is None else sort,
        descending=call.query.get("sortOrder", "desc") == "desc",
    )
    return Reply(200, results)
