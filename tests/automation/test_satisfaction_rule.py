"""A Bad rating triggers a rule: trigger "satisfaction rated", condition on the rating."""

import pytest
from django.core.exceptions import ValidationError

from automation.conditions import condition_clean
from automation.models import Condition, PendingTrigger, RuleRun
from tests.automation.conftest import make_rule, run_triggers
from tests.support.surveys import resolved_ticket, send_survey
from tickets.models import EntryKind, ThreadEntry
from tickets.services import satisfaction_rate


@pytest.fixture
def bad_rating_rule(desk):
    return make_rule(
        name="Follow up unhappy requesters",
        trigger="satisfaction_rated",
        conditions=[{"field": "satisfaction", "operator": "is", "value": "bad"}],
        actions=[{"kind": "add_note", "text": "Bad rating on #{number}: call them back."}],
    )


def notes(ticket):
    return list(
        ThreadEntry.objects.filter(ticket=ticket, kind=EntryKind.NOTE).values_list(
            "body", flat=True
        )
    )


def test_a_bad_rating_runs_the_rule(desk, bad_rating_rule):
    ticket = resolved_ticket(desk)
    survey, _ = send_survey(ticket)

    satisfaction_rate(survey=survey, rating="bad", comment="Slow", by=desk.requester)
    assert PendingTrigger.objects.filter(trigger="satisfaction_rated").count() == 1
    run_triggers()

    assert notes(ticket) == [f"Bad rating on #{ticket.number}: call them back."]
    assert RuleRun.objects.get(rule=bad_rating_rule).failed is False


def test_a_good_rating_does_not(desk, bad_rating_rule):
    ticket = resolved_ticket(desk)
    survey, _ = send_survey(ticket)

    satisfaction_rate(survey=survey, rating="good", by=desk.requester)
    run_triggers()

    assert notes(ticket) == []
    assert not RuleRun.objects.exists()


def test_changing_good_to_bad_runs_it_for_the_new_rating(desk, bad_rating_rule):
    ticket = resolved_ticket(desk)
    survey, _ = send_survey(ticket)
    satisfaction_rate(survey=survey, rating="good", by=desk.requester)
    run_triggers()
    satisfaction_rate(survey=survey, rating="bad", by=desk.requester)
    run_triggers()
    assert len(notes(ticket)) == 1


def test_the_condition_takes_good_or_bad_only(desk, bad_rating_rule):
    condition = Condition(rule=bad_rating_rule, field="satisfaction", operator="is", value="Bad")
    condition_clean(condition)
    assert condition.value == "bad"
    condition.value = "meh"
    with pytest.raises(ValidationError):
        condition_clean(condition)
    condition.operator = "contains"
    condition.value = "bad"
    with pytest.raises(ValidationError):
        condition_clean(condition)
