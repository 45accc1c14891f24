from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from matching.ingest import ImportMatch, file_ingest
from mdm.errors import MdmError
from mdm.models import ImportRun

REALTIME_SHOWN = 10  # real-time decisions listed after an import


class Command(BaseCommand):
    help = (
        "Load a source-system export (CSV, XLSX, JSON, JSONL, Parquet) through a profile. "
        "Re-loading the same file changes nothing; bad rows go to a reject report."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--system", required=True, help="source system code, e.g. erp")
        parser.add_argument("--profile", required=True, help="profile name or .yaml path")
        parser.add_argument("--domain", help="customer, supplier or product (checked against the profile)")
        parser.add_argument("--encoding", help="CSV encoding, e.g. gb18030 (detected if omitted)")
        parser.add_argument(
            "--snapshot",
            action="store_true",
            help="the file is a full extract: records of this system it no longer holds are soft-deleted",
        )
        parser.add_argument("--report", type=Path, help="where to write the reject report (CSV)")
        parser.add_argument("--actor", help="who runs the import (default: system:<code>)")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--no-realtime",
            action="store_true",
            help="do not match the changed records in real time (leave them to `manage.py match`)",
        )

    def handle(self, *args, **options):
        quiet = options["no_progress"] or options["verbosity"] == 0
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]:,} rows {task.fields[rate]:,.0f}/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            disable=quiet,
            transient=False,
        ) as progress:
            task = progress.add_task(options["file"].name, total=None, rows=0, rate=0.0)

            def on_progress(source, run):
                elapsed = progress.tasks[task].elapsed or 1e-9
                progress.update(
                    task, total=source.total, completed=source.done, rows=run.read,
                    rate=run.read / elapsed,
                )

            try:
                result = file_ingest(
                    path=options["file"],
                    system_code=options["system"],
                    profile_name=options["profile"],
                    domain=options["domain"],
                    encoding=options["encoding"],
                    snapshot=options["snapshot"],
                    actor=options["actor"],
                    report_path=options["report"],
                    on_progress=on_progress,
                    realtime=not options["no_realtime"],
                )
            except MdmError as exc:
                raise CommandError(exc.message) from None
        run = result.run
        summary = (
            f"import {run.pk} {run.status}: read {run.read}, inserted {run.inserted}, "
            f"updated {run.updated}, unchanged {run.unchanged}, deleted {run.deleted}, "
            f"rejected {run.rejected} ({run.file_format}, {run.encoding or 'n/a'})"
        )
        if run.status != ImportRun.Status.COMPLETED:
            raise CommandError(f"{summary}\n{run.error}")
        self.stdout.write(summary)
        if run.rejected:
            self.stdout.write(f"reject report: {run.report_path}")
        if result.matched is not None:
            self._real_time_lines(result.matched)

    def _real_time_lines(self, matched: ImportMatch) -> None:
        """What real-time matching did with the records that changed, or why they wait."""
        domain, changed = matched.domain, matched.changed
        if matched.waiting == "failed":
            raise CommandError(
                f"the records were loaded, but real-time matching failed: {matched.error}; "
                f"run `python manage.py match {domain}`"
            )
        if matched.waiting == "no_model":
            self.stdout.write(
                f"{changed} records changed; no trained {domain} model yet: run "
                f"`python manage.py train {domain}`, then `python manage.py match {domain}`"
            )
        elif matched.waiting == "too_many":
            self.stdout.write(
                f"{changed:,} records changed, more than real-time matching takes "
                f"(MDM_REALTIME_MAX_RECORDS={settings.MDM_REALTIME_MAX_RECORDS:,}): "
                f"run `python manage.py match {domain}`"
            )
        elif matched.waiting == "unmatched":
            self.stdout.write(
                f"{changed} records changed, and {matched.unmatched:,} other {domain} records have not been "
                f"matched yet (real-time matching only finds records with a golden record): "
                f"run `python manage.py match {domain}`"
            )
        elif matched.decisions:
            counts = matched.counts()
            self.stdout.write(
                f"real-time matching of {changed} changed records (model v{matched.model_version}): "
                f"{counts['attach']} attached, {counts['propose']} new and proposed for review, "
                f"{counts['create']} new golden records, {counts['keep']} unchanged, {counts['skip']} deleted"
            )
            shown = [(label, d) for label, d in matched.decisions if d.changed][:REALTIME_SHOWN]
            for label, decision in shown:
                self.stdout.write(f"  {decision.line(label)}")
            more = sum(1 for _, d in matched.decisions if d.changed) - len(shown)
            if more > 0:
                self.stdout.write(f"  ... and {more} more")
