from django.apps import AppConfig


class MdmConfig(AppConfig):
    name = "mdm"
    verbose_name = "Master data"

    def ready(self) -> None:
        import pyarrow
        from django.conf import settings

        from matching import engine
        from mdm import history  # noqa: F401  (connects the history stamp signal)

        engine.DUCKDB_CONFIG.update(
            memory_limit=settings.MDM_DUCKDB_MEMORY_LIMIT, temp_directory=str(settings.DATA_DIR / "duckdb")
        )
        # A run's feature table is built once and dropped: the system allocator gives its
        # memory back at once, where pyarrow's default pool kept it for the write to come.
        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
