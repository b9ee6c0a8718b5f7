"""Forms for a ticket's tasks on the agent workspace (docs/decisions/0040-tasks.md).

They read what was typed; the services decide (the assignee's department, who may). The
due time is typed in the agent's own time zone (the active one) and stored in UTC.
"""

from django import forms

from accounts.models import Agent, Department
from tickets.models import TASK_DESCRIPTION_MAX_LENGTH, TASK_TITLE_MAX_LENGTH

DUE_FORMAT = "%Y-%m-%dT%H:%M"


class TaskForm(forms.Form):
    title = forms.CharField(max_length=TASK_TITLE_MAX_LENGTH)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=TASK_DESCRIPTION_MAX_LENGTH,
        strip=True,
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.filter(is_active=True),
        required=False,
        help_text="The ticket's department if none is chosen.",
    )
    assignee = forms.ModelChoiceField(
        queryset=Agent.objects.filter(is_active=True, user__is_active=True).select_related("user"),
        required=False,
        help_text="An agent of the task's department.",
    )
    due_at = forms.DateTimeField(
        label="Due",
        required=False,
        input_formats=[DUE_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "form-control"}, format=DUE_FORMAT
        ),
    )


class ResolveForm(forms.Form):
    """The resolve button; `confirm_open_tasks` once the agent has seen the open tasks."""

    confirm_open_tasks = forms.BooleanField(required=False)
