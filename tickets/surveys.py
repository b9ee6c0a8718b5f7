"""The signed token of a satisfaction survey's links (decision 0041).

The token names the survey, its ticket and the resolution it is about, signed with the
SECRET_KEY (django.core.signing): nothing is stored, a tampered or made-up token is
refused, and a token for one resolution never rates another. It does not expire by
itself: the survey's rating window says when it closes, so the page can say "closed"
instead of "invalid".
"""

from django.core import signing

from tickets.models import SatisfactionSurvey

SALT = "tickets.satisfaction-survey"


def survey_token(survey: SatisfactionSurvey) -> str:
    return signing.dumps([survey.pk, survey.ticket_id, survey.resolution_id], salt=SALT)


def survey_from_token(token: str) -> SatisfactionSurvey | None:
    """The survey the token was made for, with its ticket; None for anything else."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(isinstance(part, int) and not isinstance(part, bool) for part in value)
    ):
        return None
    survey_id, ticket_id, resolution_id = value
    return (
        SatisfactionSurvey.objects.select_related("ticket", "requester")
        .filter(pk=survey_id, ticket_id=ticket_id, resolution_id=resolution_id)
        .first()
    )
