from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API and publishing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from api.models import ApiToken, InboundEndpoint, WebhookSubscription
        from mdm.history_log import Kind, register_kind

        register_kind(Kind("token", ApiToken, ("system__code", "name"), ("name",), domain=None,
                           system="system__code", masked=("digest",)))
        register_kind(Kind("webhook", WebhookSubscription, ("system__code", "url"), (), domain=None,
                           system="system__code", masked=("secret",)))
        register_kind(Kind("inbound", InboundEndpoint, ("system__code", "kind"), (), domain=None,
                           system="system__code", masked=("secret",)))
