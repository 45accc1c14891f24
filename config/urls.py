from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from stewardship.forms import ThrottledLoginForm
from stewardship.views import match_preview

admin.site.site_url = "/steward/"  # the admin's "View site": the steward app
admin.site.login_form = ThrottledLoginForm

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="steward:dashboard", permanent=False)),
    path("steward/", include("stewardship.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/match-preview/", admin.site.admin_view(match_preview), name="match-preview"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
]
