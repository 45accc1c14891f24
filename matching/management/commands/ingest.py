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
from mdm.ingest.run import SnapshotPolicy
from mdm.models import ImportRun

REALTIME_SHOWN = 10  # real-time decisions listed after an import
FLAGS_SHOWN = 10  # kinds of data-quality flag listed


def share(value: str) -> float:
    number = float(value.rstrip("%")) / (100 if value.endswith("%") else 1)
    if not 0 <= number <= 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Load a source-system export (CSV, XLSX, JSON, JSONL, Parquet) through a profile, then match "
        "what changed in real time. Re-loading the same file changes nothing; bad rows and data-quality "
        "flags go to a report."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--system", required=True, help="source system code, e.g. erp")
        parser.add_argument("--profile", required=True, help="profile name or .yaml path")
        parser.add_argument("--domain", help="customer, supplier or product (checked against the profile)")
        parser.add_argument("--encoding", help="CSV encoding, e.g. gb18030 (detected if omitted)")
        parser.add_argument(
            "--snapshot", action="store_true",
            help="the file is a full extract: records of this system it no longer holds are soft-deleted "
            "(refused when the file looks incomplete: see --max-delete-share, --confirm-deletions)",
        )
        parser.add_argument("--max-delete-share", type=share, default=SnapshotPolicy.max_delete_share,
                            help="a snapshot deletes at most this share of the system's live records "
                            "without --confirm-deletions (default 0.10)")
        parser.add_argument("--max-reject-share", type=share, default=SnapshotPolicy.max_reject_share,
                            help="a snapshot with more rejected rows than this share deletes nothing without "
                            "--confirm-deletions (default 0.01)")
        parser.add_argument("--confirm-deletions", action="store_true",
                            help="carry out a snapshot's deletions whatever the checks say")
        parser.add_argument("--dry-run", action="store_true",
                            help="read and check everything, say what would change and be deleted, write nothing")
        parser.add_argument("--report", type=Path, help="where to write the report of rejects and flags (CSV)")
        parser.add_argument("--actor", help="who runs the import (default: system:<code>)")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--no-realtime", action="store_true",
            help="do not match the changed records in real time (leave them to `manage.py match`)",
        )

    def handle(self, *args, **options):
        quiet = options["no_progress"] or options["verbosity"] == 0
        policy = SnapshotPolicy(max_delete_share=options["max_delete_share"],
                                max_reject_share=options["max_reject_share"], confirmed=options["confirm_deletions"])
        with Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rows]:,} rows {task.fields[rate]:,.0f}/s"), TimeElapsedColumn(),
            TimeRemainingColumn(), disable=quiet, transient=False,
        ) as progress:
            task = progress.add_task(options["file"].name, total=None, rows=0, rate=0.0)

            def on_progress(source, run):
                elapsed = progress.tasks[task].elapsed or 1e-9
                progress.update(task, total=source.total, completed=source.done, rows=run.read,
                                rate=run.read / elapsed)

            try:
                result = file_ingest(
                    path=options["file"], system_code=options["system"], profile_name=options["profile"],
                    domain=options["domain"], encoding=options["encoding"], snapshot=options["snapshot"],
                    policy=policy, dry_run=options["dry_run"], actor=options["actor"],
                    report_path=options["report"], on_progress=on_progress, realtime=not options["no_realtime"],
                )
            except MdmError as exc:
                raise CommandError(exc.message) from None
            except KeyboardInterrupt:
                raise CommandError(
                    "interrupted: the batches written so far stay; run the same command again to finish"
                ) from None
        self._summary(result.run, options["dry_run"])
        if result.matched is not None:
            self._real_time_lines(result.matched)
        if result.run.deletions_refused:
            raise CommandError(f"snapshot of {result.run.file_name}: {result.run.deletions_refused}")

    def _summary(self, run: ImportRun, dry_run: bool) -> None:
        would = "would be " if dry_run else ""
        summary = (
            f"{'dry run, nothing written: ' if dry_run else f'import {run.pk} '}{run.status}: read {run.read}, "
            f"{would}inserted {run.inserted}, {would}updated {run.updated}, unchanged {run.unchanged}, "
            f"{would}deleted {run.deleted}, rejected {run.rejected} ({run.file_format}, {run.encoding or 'n/a'})"
        )
        if run.restandardized:
            summary += (f"; {run.restandardized} unchanged row(s) {would}updated all the same: their stored "
                        "values were standardized by older code")
        if run.status != ImportRun.Status.COMPLETED:
            report = f" (report: {run.report_path})" if run.rejected and run.report_path else ""
            raise CommandError(f"import {run.pk or ''} {run.status} after {run.read:,} rows: {run.error}{report}")
        self.stdout.write(summary)
        for warning in run.warnings:
            self.stdout.write(f"warning: {warning}")
        if run.flags:
            flagged = sorted(run.flags.items(), key=lambda item: (-item[1], item[0]))
            self.stdout.write("data-quality flags (stored, listed in the report): " + "; ".join(
                f"{kind} {count:,}" for kind, count in flagged[:FLAGS_SHOWN]) + (
                f"; and {len(flagged) - FLAGS_SHOWN} more kinds" if len(flagged) > FLAGS_SHOWN else ""))
        if run.missing.get("count"):
            verb = "would delete" if dry_run and not run.deletions_refused else "no longer holds"
            self.stdout.write(f"snapshot {verb} {run.missing['count']:,} record(s): "
                              + ", ".join(run.missing["sample"]) + (" ..." if run.missing["count"] > len(
                                  run.missing["sample"]) else ""))
        if run.report_path and (run.rejected or run.flags):
            self.stdout.write(f"report: {run.report_path}")

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
                f"{changed + matched.unmatched:,} records to match, more than real-time matching takes "
                f"(MDM_REALTIME_MAX_RECORDS={settings.MDM_REALTIME_MAX_RECORDS:,}): "
                f"run `python manage.py match {domain}`"
            )
        elif matched.decisions:
            counts = matched.counts()
            left = f" and {matched.unmatched} left unmatched before" if matched.unmatched else ""
            self.stdout.write(
                f"real-time matching of {changed} changed records{left} (model v{matched.model_version}): "
                f"{counts['attach']} attached, {counts['propose']} new and proposed for review, "
                f"{counts['create']} new golden records, {counts['keep']} unchanged, {counts['skip']} deleted"
            )
            shown = [(label, d) for label, d in matched.decisions if d.changed][:REALTIME_SHOWN]
            for label, decision in shown:
                self.stdout.write(f"  {decision.line(label)}")
            more = sum(1 for _, d in matched.decisions if d.changed) - len(shown)
            if more > 0:
                self.stdout.write(f"  ... and {more} more")
