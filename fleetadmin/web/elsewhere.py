"""A car screen's answer when its car is another reachable customer's: offer the switch."""

from django.shortcuts import render

from fleetadmin.upstream.customer_switch import customer_with_car


def car_elsewhere(request, car_id: int):
    """The offer to switch, when car `car_id` is another reachable customer's; else None.

    For a car screen whose car flinkey did not find for the user's customer (a link from an
    e-mail or a bookmark). Names the customer only: the car is shown after the switch.
    """
    if request.method != "GET" or request.htmx:
        return None  # a form sent, or a region of a page already shown: nothing offered
    customer = customer_with_car(request.user, car_id)
    if customer is None:
        return None
    context = {"customer": customer, "car_id": car_id, "next_url": request.get_full_path()}
    return render(request, "fleetadmin/car_elsewhere.html", context)
