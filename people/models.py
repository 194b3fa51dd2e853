"""The people directory: who a flinkey user id is, kept per fleet (flinkey's API has none)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# flinkey's user ids are positive int32.
MAX_USER_ID = 2_147_483_647


class PersonQuerySet(models.QuerySet):
    def of_fleet(self, fleet):
        """The people of one fleet (`fleetadmin.upstream.reach.Fleet`): never another fleet's."""
        return self.filter(api_url=fleet.api_url, customer_id=fleet.customer_id)


class Person(models.Model):
    """A flinkey user id of one fleet and the person behind it."""

    # The fleet: the flinkey API (base URL incl. /v3) and the customer. Ids are only unique
    # within one customer at one API, so both are part of the key.
    api_url = models.CharField(max_length=500)
    customer_id = models.BigIntegerField()
    flinkey_user_id = models.IntegerField(
        _("flinkey user id"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_USER_ID)])
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"), blank=True)
    department = models.CharField(_("Department"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name", "flinkey_user_id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(fields=["api_url", "customer_id", "flinkey_user_id"],
                                    name="people_one_person_per_user_id"),
        ]

    def __str__(self):
        return f"{self.name} ({self.flinkey_user_id})"

    def as_changes(self) -> dict:
        """The recorded fields, as the audit log keeps them."""
        return {"flinkey_user_id": self.flinkey_user_id, "name": self.name,
                "email": self.email, "department": self.department}
