from django.apps import AppConfig


class MdmConfig(AppConfig):
    name = "mdm"
    verbose_name = "Master data"

    def ready(self) -> None:
        from mdm import history, lookups  # noqa: F401  (the history stamp signal, the __among lookup)
