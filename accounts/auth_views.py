"""The login page: local username/password (unless turned off) and the SSO button."""

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import views as auth_views
from django.contrib.auth.backends import ModelBackend
from django.shortcuts import redirect, resolve_url
from django.utils.translation import gettext_lazy as _

from accounts.access import forbidden
from accounts.oidc import end_session_url, provider_recently_unreachable


class PermissionsOnlyBackend(ModelBackend):
    """Answers role checks from groups, but signs nobody in with a password.

    Used instead of ModelBackend when LOCAL_LOGIN_ENABLED is off.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        return None


class LoginView(auth_views.LoginView):
    """Django's login view, refusing passwords when local login is turned off."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if not settings.LOCAL_LOGIN_ENABLED:
            return forbidden(request, _("Sign-in with a password is turned off. "
                                        "Use single sign-on."))
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            local_login_enabled=settings.LOCAL_LOGIN_ENABLED,
            oidc_enabled=settings.OIDC_ENABLED,
            sso_failed=self.request.GET.get("sso") == "failed",
            sso_unavailable=self.request.GET.get("sso") == "unavailable" or (
                self.request.GET.get("sso") == "failed" and provider_recently_unreachable()),
        )
        return context


class LogoutView(auth_views.LogoutView):
    """Django's logout; after a single sign-on also ends the provider's session.

    RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) when the provider's
    discovery document names an end_session_endpoint: the browser goes there with the
    ID token as hint and comes back to our login page. Otherwise, as before, our login page.
    """

    def post(self, request, *args, **kwargs):
        id_token = request.session.get("oidc_id_token")
        signed_in_by_sso = BACKEND_SESSION_KEY in request.session and (
            request.session[BACKEND_SESSION_KEY] == "accounts.oidc.OIDCBackend")
        response = super().post(request, *args, **kwargs)
        if signed_in_by_sso:
            url = end_session_url(request, id_token=id_token,
                                  back_to=request.build_absolute_uri(resolve_url("login")))
            if url:
                return redirect(url)
        return response
