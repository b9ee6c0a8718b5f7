"""The reports' reads for the desk's pages (the figures are reports.figures)."""

from django.db.models import QuerySet
from django.http import Http404

from reports.models import ReportExport

EXPORTS_LISTED = 50


def report_exports_for_user(*, user) -> QuerySet[ReportExport]:
    """The user's own background exports, newest first (the last EXPORTS_LISTED)."""
    return ReportExport.objects.filter(requested_by_id=user.pk)[:EXPORTS_LISTED]


def report_export_get_for_user(*, user, pk) -> ReportExport:
    """The export if `user` asked for it; Http404 for anyone else's and a missing one alike."""
    export = ReportExport.objects.filter(pk=pk, requested_by_id=user.pk).first()
    if export is None:
        raise Http404("No such export.")
    return export
