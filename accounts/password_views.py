"""Setting a password from the link an administrator had e-mailed (Django's own views)."""

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy

from audit.recording import record


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """Django's reset-confirm view with our page; recorded as the account's own change.

    Signs nobody in: the person signs in with the new password afterwards, through the
    throttled login, as everyone does.
    """

    template_name = "accounts/password_set.html"
    success_url = reverse_lazy("password-reset-complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        record(user=None, username=form.user.get_username(), action="user.password_set",
               target=form.user.get_username())
        return response


class PasswordSetDoneView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_set_done.html"
