from tests.reports.scenario import admin_user, office_weeks  # noqa: F401  (fixtures)
