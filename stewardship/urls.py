from django.contrib.auth import views as auth_views
from django.urls import path

from stewardship import audit, views

app_name = "steward"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="steward:login"), name="logout"),
    path("queue/", views.queue, name="queue"),
    path("cases/<int:key>/", views.case, name="case"),
    path("golden/<str:golden_id>/", views.golden, name="golden"),
    path("search/", views.search, name="search"),
    path("requests/new/", views.request_new, name="request"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("audit/", audit.log, name="audit-log"),
    path("audit/decisions/", audit.decisions, name="audit-decisions"),
    path("audit/export.<str:fmt>", audit.export, name="audit-export"),
    path("audit/declarations/<int:pk>/", audit.declaration, name="audit-declaration"),
    path("audit/<str:kind>/<int:pk>/", audit.record, name="audit-record"),
]
