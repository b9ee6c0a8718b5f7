"""A ticket's tasks in the API: /api/v1/tickets/{number}/tasks/ (docs/decisions/0040).

GET lists (scope tasks:read), POST adds one (tasks:write); /tasks/{id}/ reads one, PATCH
changes what it is given (title, description, department, assignee, due_at), DELETE
removes it; /tasks/{id}/complete/ and /reopen/ change its status. The same services as
the desk, so the same rules: an agent of the ticket's department manages its tasks; a
task's assignee may complete and reopen their own even when the ticket is in another
department (they read and complete it here by its id, under its ticket's number).
"""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Agent, Department
from api.models import Scope
from api.requests import BIGINT, NoInput, StrictSerializer
from api.serializers import NamedSerializer, PersonSerializer, _datetime
from api.views import ApiMixin
from api.writes import checked, via
from tickets import access, selectors, services
from tickets.events import acting_via
from tickets.models import Task

# Input -----------------------------------------------------------------------------------


def _id(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=BIGINT, required=False, **kwargs)


class TaskUpdateInput(StrictSerializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=1_000_000, help_text="Plain text."
    )
    department = _id(help_text="The ticket's department when a task is added without one.")
    assignee = _id(allow_null=True, help_text="An agent of the task's department; null: nobody.")
    due_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="ISO 8601 with its offset; null: none."
    )


class TaskCreateInput(TaskUpdateInput):
    title = serializers.CharField(allow_blank=True, max_length=10_000)


def _department(pk):
    department = Department.objects.filter(pk=pk).first()
    if department is None:
        raise ValidationError({"department": [f"No department with id {pk}."]})
    return department


def _agent(pk):
    if pk is None:
        return None
    agent = Agent.objects.select_related("user").filter(pk=pk).first()
    if agent is None:
        raise ValidationError({"assignee": [f"No agent with id {pk}."]})
    return agent


# Output ----------------------------------------------------------------------------------


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField(help_text="The ticket's number.")
    title = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(Task.Status.values)
    department = NamedSerializer()
    assignee = NamedSerializer(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_by = PersonSerializer(allow_null=True)

    def to_representation(self, task) -> dict:
        done_by = task.completed_by
        return {
            "id": task.pk,
            "ticket": int(self.context["ticket_number"]),
            "title": task.title,
            "description": task.description,
            "status": task.status,
            "department": {"id": task.department.pk, "name": task.department.name},
            "assignee": {"id": task.assignee.pk, "name": str(task.assignee.user)}
            if task.assignee
            else None,
            "due_at": _datetime(task.due_at),
            "created_at": _datetime(task.created_at),
            "updated_at": _datetime(task.updated_at),
            "completed_at": _datetime(task.completed_at),
            "completed_by": {"id": done_by.pk, "email": done_by.email, "name": str(done_by)}
            if done_by
            else None,
        }


def _task_response(ticket_number, pk, *, status_code=200) -> Response:
    task = Task.objects.select_related("department", "assignee__user", "completed_by").get(pk=pk)
    data = TaskSerializer(task, context={"ticket_number": ticket_number}).data
    return Response(data, status=status_code)


def _task_of(request, number, pk) -> Task:
    """The task under this ticket's number, as the agent may reach it (their department's
    ticket, or a task of theirs); 404 otherwise, as for a missing one."""
    task = access.task_get_for_agent(user=request.user, pk=pk)
    if task.ticket.number != int(number):
        raise Http404("No such task.")
    return task


# Views -----------------------------------------------------------------------------------


class TaskCollection(ApiMixin, APIView):
    """The ticket's tasks, open ones first (GET, tasks:read); add one (POST, tasks:write):
    in the ticket's department unless another is given, for an agent of that department."""

    scopes = {"read": Scope.TASKS_READ, "write": Scope.TASKS_WRITE}

    @extend_schema(operation_id="tickets_tasks_list", responses=TaskSerializer(many=True))
    def get(self, request, number):
        ticket = access.ticket_get_for_agent(user=request.user, number=number)
        tasks = selectors.task_list_for_ticket(ticket=ticket)
        context = {"ticket_number": ticket.number}
        return Response({"results": TaskSerializer(tasks, many=True, context=context).data})

    @extend_schema(
        operation_id="tickets_tasks_create",
        request=TaskCreateInput,
        responses={201: TaskSerializer},
    )
    def post(self, request, number):
        ticket = access.ticket_get_for_agent(user=request.user, number=number)
        data, _files = checked(TaskCreateInput, request)
        department = _department(data["department"]) if data.get("department") else None
        with acting_via(via(request)):
            task = services.task_create(
                ticket=ticket,
                title=data["title"],
                description=data.get("description", ""),
                department=department,
                assignee=_agent(data.get("assignee")),
                due_at=data.get("due_at"),
                by=request.user,
            )
        return _task_response(ticket.number, task.pk, status_code=status.HTTP_201_CREATED)


class TaskResource(ApiMixin, APIView):
    """One task (GET, tasks:read); change it (PATCH, tasks:write: only the fields given
    change) or delete it (DELETE, tasks:write)."""

    scopes = {"read": Scope.TASKS_READ, "write": Scope.TASKS_WRITE}

    @extend_schema(operation_id="tickets_tasks_retrieve", responses=TaskSerializer)
    def get(self, request, number, pk):
        task = _task_of(request, number, pk)
        return _task_response(task.ticket.number, task.pk)

    @extend_schema(
        operation_id="tickets_tasks_update", request=TaskUpdateInput, responses=TaskSerializer
    )
    def patch(self, request, number, pk):
        task = _task_of(request, number, pk)
        data, _files = checked(TaskUpdateInput, request)
        changes = {name: data[name] for name in ("title", "description", "due_at") if name in data}
        if "department" in data:
            changes["department"] = _department(data["department"])
        if "assignee" in data:
            changes["assignee"] = _agent(data["assignee"])
        with acting_via(via(request)):
            services.task_edit(task=task, by=request.user, **changes)
        return _task_response(task.ticket.number, task.pk)

    @extend_schema(operation_id="tickets_tasks_delete", request=None, responses={204: None})
    def delete(self, request, number, pk):
        task = _task_of(request, number, pk)
        with acting_via(via(request)):
            services.task_delete(task=task, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskStatusChange(ApiMixin, APIView):
    """Complete (`complete/`) or reopen (`reopen/`) a task: an agent of the ticket's
    department, or the task's assignee. Completing a done task is a 400."""

    scopes = {"write": Scope.TASKS_WRITE}
    service = None  # set by as_view(): task_complete or task_reopen

    @extend_schema(operation_id="tickets_tasks_status", request=None, responses=TaskSerializer)
    def post(self, request, number, pk):
        task = _task_of(request, number, pk)
        checked(NoInput, request)
        with acting_via(via(request)):
            type(self).service(task=task, by=request.user)
        return _task_response(task.ticket.number, task.pk)


class TaskComplete(TaskStatusChange):
    service = staticmethod(services.task_complete)

    @extend_schema(operation_id="tickets_tasks_complete", request=None, responses=TaskSerializer)
    def post(self, request, number, pk):
        return super().post(request, number, pk)


class TaskReopen(TaskStatusChange):
    service = staticmethod(services.task_reopen)

    @extend_schema(operation_id="tickets_tasks_reopen", request=None, responses=TaskSerializer)
    def post(self, request, number, pk):
        return super().post(request, number, pk)
