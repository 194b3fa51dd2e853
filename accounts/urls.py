"""URLs of signing in and out and of the users page (names without a namespace)."""

from django.urls import include, path

from accounts import auth_views, password_views, users_views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("users/", users_views.user_list, name="users"),
    path("users/new/", users_views.user_create, name="user-create"),
    path("users/<int:user_id>/", users_views.user_detail, name="user"),
    path("users/<int:user_id>/role/", users_views.set_role, name="user-role"),
    path("users/<int:user_id>/unlock/", users_views.unlock_sign_in, name="user-unlock"),
    path("users/<int:user_id>/credentials/", users_views.set_credentials, name="user-credentials"),
    path("users/<int:user_id>/customer/", users_views.set_customer, name="user-customer"),
    path("users/<int:user_id>/active/", users_views.set_account_active, name="user-active"),
    path("users/<int:user_id>/password-link/", users_views.reset_password,
         name="user-password-link"),
    # The link from the password e-mail; its token is in the path (Django's own view moves
    # it into the session and redirects, so it never lingers in the address bar or Referer).
    path("password/<uidb64>/<token>/", password_views.PasswordSetView.as_view(),
         name="password-reset-confirm"),
    path("password/done/", password_views.PasswordSetDoneView.as_view(),
         name="password-reset-complete"),
    path("oidc/", include("mozilla_django_oidc.urls")),
]
