"""`{% flinkey_user people user_id %}`: a person's name where a flinkey user id is shown."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

register = template.Library()


@register.inclusion_tag("people/flinkey_user.html", takes_context=True)
def flinkey_user(context, people, user_id):
    """The name (and id) of a known person; the id and, for admins, "add a name" otherwise."""
    person = people.get(user_id) if people is not None else None
    add_url = None
    if (person is None and user_id is not None and context.get("can_manage_users")
            and people is not None and people.fleet is not None):
        request = context.get("request")
        query = {"flinkey_user_id": user_id}
        if request is not None:
            query["next"] = request.get_full_path()
        add_url = reverse("people:create") + "?" + urlencode(query)
    return {"user_id": user_id, "person": person, "add_url": add_url}
