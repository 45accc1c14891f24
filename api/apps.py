from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API and publishing"
    default_auto_field = "django.db.models.BigAutoField"
