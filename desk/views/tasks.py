"""A ticket's tasks on the agent workspace, "My tasks", and the confirmation asked before
resolving a ticket with open tasks (docs/decisions/0040-tasks.md).

On the ticket page the task forms post with htmx (the side panel is swapped, as for the
other actions) and work as plain posts without JavaScript. "My tasks" is plain forms.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from desk.task_forms import TaskForm
from desk.views.common import agent_required, form_errors, is_htmx
from desk.views.ticket import _done, _render_ticket
from tickets import access, selectors, services
from tickets.errors import TicketError

TASK_ADDED = "Task added."
TASK_SAVED = "Task saved."
TASK_DONE = "Task done."
TASK_REOPENED = "Task reopened."
TASK_DELETED = "Task deleted."
BACK_TO_MINE = "mine"


def _form_page(request, ticket, form, *, task=None, status=200):
    return render(
        request,
        "desk/task_form.html",
        {
            "ticket": ticket,
            "task": task,
            "form": form,
            "choices": selectors.task_form_choices(),
        },
        status=status,
    )


@require_GET
@agent_required
def task_new(request, number):
    """The whole form (description, department, assignee), beside the page's quick one."""
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    return _form_page(request, ticket, TaskForm(initial={"department": ticket.department_id}))


@require_POST
@agent_required
def task_add(request, number):
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    form = TaskForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.task_create(
                ticket=ticket,
                title=data["title"],
                description=data["description"],
                department=data["department"],
                assignee=data["assignee"],
                due_at=data["due_at"],
                by=request.user,
            )
        except TicketError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, TASK_ADDED)
            return _done(request, ticket.number)
    if is_htmx(request):
        messages.error(request, form_errors(form))
        return _render_ticket(request, ticket.number)
    return _form_page(request, ticket, form, status=400)


@require_http_methods(["GET", "POST"])
@agent_required
def task_edit(request, pk):
    task = access.task_get_for_agent(user=request.user, pk=pk)
    if not access.may_manage_tasks(request.user, task.ticket):
        raise Http404("No such task.")
    if request.method == "GET":
        form = TaskForm(
            initial={
                "title": task.title,
                "description": task.description,
                "department": task.department_id,
                "assignee": task.assignee_id,
                "due_at": task.due_at,
            }
        )
        return _form_page(request, task.ticket, form, task=task)
    form = TaskForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.task_edit(
                task=task,
                title=data["title"],
                description=data["description"],
                department=data["department"] or task.department,
                due_at=data["due_at"],
                assignee=data["assignee"],
                by=request.user,
            )
        except TicketError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, TASK_SAVED)
            return redirect(reverse("agent:ticket", args=[task.ticket.number]))
    return _form_page(request, task.ticket, form, task=task, status=400)


def _task_change(service, done: str):
    @require_POST
    @agent_required
    def view(request, pk):
        task = access.task_get_for_agent(user=request.user, pk=pk)
        number = task.ticket.number
        try:
            service(task=task, by=request.user)
        except TicketError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done)
        if request.POST.get("next") == BACK_TO_MINE:
            return redirect(reverse("agent:tasks"))
        return _done(request, number)

    return view


task_complete = _task_change(services.task_complete, TASK_DONE)
task_reopen = _task_change(services.task_reopen, TASK_REOPENED)
task_delete = _task_change(services.task_delete, TASK_DELETED)


@require_GET
@agent_required
def my_tasks(request):
    """The agent's open tasks, overdue ones first, each linking to its ticket."""
    return render(
        request,
        "desk/tasks.html",
        {"my_tasks": selectors.task_list_for_assignee(user=request.user), "back": BACK_TO_MINE},
    )


# Resolving a ticket with open tasks --------------------------------------------------------


@require_GET
@agent_required
def resolve_confirm(request, number):
    """The open tasks, and a button to resolve the ticket anyway."""
    ticket = access.ticket_get_for_agent(user=request.user, number=number)
    tasks = [t for t in selectors.task_list_for_ticket(ticket=ticket) if t.is_open]
    if not tasks:
        return redirect(reverse("agent:ticket", args=[number]))
    return render(request, "desk/resolve_confirm.html", {"ticket": ticket, "tasks": tasks})


__all__ = [
    "my_tasks",
    "resolve_confirm",
    "task_add",
    "task_complete",
    "task_delete",
    "task_edit",
    "task_new",
    "task_reopen",
]
