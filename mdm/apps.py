from django.apps import AppConfig


class MdmConfig(AppConfig):
    name = "mdm"
    verbose_name = "Master data"

    def ready(self) -> None:
        from mdm import history  # noqa: F401  (connects the history stamp signal)
