"""The web app's match preview: a dry run in the browser, for staff, writing nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from matching.describe import summary_lines
from matching.runs import match_run
from matching.selectors import MSG_NO_MODEL
from matching.tests.factories import DEMO_TRUST
from matching.training import MSG_THRESHOLDS, match_model_store
from mdm.access import access_grant
from mdm.history import Change
from mdm.models import ChangeEvent, GoldenRecord, MatchRun, MergeProposal, SourceRecord
from mdm.tests.factories import load_samples

URL = reverse("match-preview")


def writes() -> tuple[int, ...]:
    return (SourceRecord.history.count(), GoldenRecord.history.count(), MergeProposal.history.count(),
            ChangeEvent.objects.count(), MatchRun.objects.count())


@pytest.fixture
def steward(client, django_user_model):
    user = django_user_model.objects.create_user("steward", password="x", is_staff=True)
    access_grant(user=user, role="steward", domains=["customer", "product"], change=Change(actor="test", reason="x"))
    client.force_login(user)
    return client


def test_it_shows_record_names_only_to_users_with_a_grant(customers, client, django_user_model):
    client.force_login(django_user_model.objects.create_user("staff", password="x", is_staff=True))
    response = client.get(URL, {"domain": "customer", "sample": 2})
    assert response.status_code == 403 and "华为" not in response.content.decode()


@pytest.fixture
def customers(db, trained):
    load_samples("customer", trust=DEMO_TRUST)
    match_model_store(domain="customer", trained=trained("customer"), change=Change(actor="test", reason="model"))


def test_a_steward_previews_a_run_and_nothing_is_written(customers, steward):
    assert steward.get(URL).status_code == 200  # the form alone
    before = writes()

    response = steward.get(URL, {"domain": "customer", "sample": 2})

    assert response.status_code == 200 and writes() == before
    expected = match_run(domain="customer", actor="test", dry_run=True, sample_size=2)
    assert response.context["summary"] == summary_lines(expected)
    assert f"{expected.counts['golden_created']} created" in response.content.decode()
    titles = [title for title, _ in response.context["samples"]]
    assert "new golden records (would)" in titles
    assert all(len(lines) <= 2 for _, lines in response.context["samples"])
    # other thresholds: above any weight the model gives, nothing merges
    strict = steward.get(URL, {"domain": "customer", "upper": 100, "lower": 99})
    assert strict.context["result"].counts["pairs_auto"] == 0 < expected.counts["pairs_auto"]
    assert writes() == before


def test_the_preview_refuses_bad_input_with_clear_messages(customers, steward):
    cases = {
        MSG_THRESHOLDS.format(lower=5, upper=1): {"domain": "customer", "upper": 1, "lower": 5},
        MSG_NO_MODEL.format(domain="product"): {"domain": "product"},
        "Enter a number.": {"domain": "customer", "upper": "high"},
        "Select a valid choice.": {"domain": "planets"},
    }
    for message, params in cases.items():
        response = steward.get(URL, params)
        assert response.status_code == 200 and response.context["result"] is None
        assert message in response.content.decode().replace("&#x27;", "'"), message


def test_only_staff_see_the_preview(customers, client, django_user_model):
    assert client.get(URL, {"domain": "customer"}).status_code == 302  # to the admin login
    client.force_login(django_user_model.objects.create_user("clerk", password="x"))
    assert client.get(URL, {"domain": "customer"}).status_code == 302
