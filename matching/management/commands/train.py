import getpass

from django.core.management.base import BaseCommand, CommandError

from matching.management.commands._stages import stages
from matching.training import model_train
from mdm.domains import all_domains
from mdm.errors import MdmError


class Command(BaseCommand):
    help = (
        "Train a domain's matching model on its live source records, without labels (steward "
        "decisions refine it when there are any), and store it as the domain's active model."
    )

    def add_arguments(self, parser):
        parser.add_argument("domain", choices=list(all_domains()))
        parser.add_argument("--upper", type=float, help="auto-merge threshold (match weight); default from the domain")
        parser.add_argument("--lower", type=float, help="review threshold (match weight); default from the domain")
        parser.add_argument("--no-labels", action="store_true", help="ignore steward decisions")
        parser.add_argument("--actor", help="who trains (default: cli:<user>)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        quiet = options["no_progress"] or options["verbosity"] == 0
        try:
            with stages(quiet=quiet) as step:
                model = model_train(
                    domain=options["domain"],
                    actor=options["actor"] or f"cli:{getpass.getuser()}",
                    upper=options["upper"],
                    lower=options["lower"],
                    use_labels=not options["no_labels"],
                    on_progress=step,
                )
        except MdmError as exc:
            raise CommandError(exc.message) from None
        for line in training_summary(model):
            self.stdout.write(line)


def training_summary(model) -> list[str]:
    report = model.report
    em = ", ".join(f"{'+'.join(e['rule'])} {'ok' if e.get('trained') else 'skipped'}" for e in report.get("em", []))
    lines = [
        f"{model.domain} model v{model.version} (active): {report.get('records', 0):,} records, "
        f"prior {report.get('prior', 0):.2e}, {model.labels} steward labels, "
        f"trained in {report.get('train_seconds', 0):.1f}s",
        f"  thresholds: auto-merge at weight >= {model.thresholds['upper']:+.2f}, "
        f"proposals at >= {model.thresholds['lower']:+.2f}",
        f"  EM: {em or 'none'}",
    ]
    strong = sorted(report.get("levels", []), key=lambda lv: -lv["weight"])[:3]
    if strong:
        lines.append(
            "  strongest evidence: "
            + "; ".join(f"{lv['comparison']} {lv['level']} {lv['weight']:+.1f}" for lv in strong)
        )
    separator = ((model.artifact or {}).get("declaration") or {}).get("separator") or {}
    lines += [
        f"  fitted: {fit['comparison']} {fit['level']} {fit['weight']:+.1f} ({fit['same']:,} labelled pairs "
        f"one entity, {fit['different']:,} two, by {separator.get('comparison')})"
        if fit["fitted"] else f"  fitted: {fit['comparison']} {fit['level']}: no labelled pair, {fit['weight']:+.1f}"
        for fit in report.get("fitted", [])
    ]
    lines += [f"  fallback: {line}" for line in report.get("fallbacks", [])]
    lines += [f"  note: {note}" for note in report.get("notes", [])[:5]]
    return lines
