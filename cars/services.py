"""Car operations the views call; every upstream call goes through fleetadmin.flinkey."""

from fleetadmin.flinkey import client_for
from flinkey import Car, Page, Query


def page_of_cars(*, user, page: int = 1, page_size: int = 25) -> Page[Car]:
    """Return one page of the user's customer's cars, sorted by name; raise FlinkeyError."""
    query = Query(orderby=[("name", "asc")])
    return client_for(user).page_cars(query, page=page, page_size=page_size)
