"""URLs of signing in and out and of the users page (names without a namespace)."""

from django.urls import include, path

from accounts import auth_views, users_views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("users/", users_views.user_list, name="users"),
    path("users/<int:user_id>/", users_views.user_detail, name="user"),
    path("users/<int:user_id>/role/", users_views.set_role, name="user-role"),
    path("users/<int:user_id>/unlock/", users_views.unlock_sign_in, name="user-unlock"),
    path("users/<int:user_id>/credentials/", users_views.set_credentials, name="user-credentials"),
    path("oidc/", include("mozilla_django_oidc.urls")),
]
