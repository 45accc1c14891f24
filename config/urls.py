from django.contrib import admin
from django.urls import include, path

from stewardship.views import match_preview

urlpatterns = [
    path("admin/match-preview/", admin.site.admin_view(match_preview), name="match-preview"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
]
