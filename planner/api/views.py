from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from crm.api.errors import object_id, service_errors
from customers.models import Interaction
from customers.rights import Write
from customers.scope import scope_for

from .. import selectors, services
from ..models import Task
from .serializers import NoteSerializer, RescheduleSerializer, TaskCreateSerializer, TaskSerializer

REFUSALS = {400: OpenApiResponse(description="{field: [messages]}"),
            403: OpenApiResponse(description="read-only role, or not the task's owner nor a manager"),
            404: OpenApiResponse(description="not in scope")}


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("status", str, enum=Task.Status.values, description="open, done or cancelled"),
    OpenApiParameter("due_before", str, description="ISO date-time: due strictly before"),
    OpenApiParameter("customer", str, description="customer code")]))
class TaskViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Planner tasks and appointments within the caller's scope, earliest due first."""

    serializer_class = TaskSerializer
    write_actions = {"create": Write.PLAN_TASKS, "complete": Write.PLAN_TASKS, "cancel": Write.PLAN_TASKS,
                     "reschedule": Write.PLAN_TASKS}

    def get_queryset(self):
        from django.utils.dateparse import parse_datetime

        qs = selectors.visible_tasks(self.request.user).order_by("due_at", "id")
        params = self.request.query_params
        if params.get("status") in Task.Status.values:
            qs = qs.filter(status=params["status"])
        due_before = parse_datetime(params.get("due_before") or "") if params.get("due_before") else None
        if due_before is not None:
            qs = qs.filter(due_at__lt=due_before)
        if params.get("customer"):
            qs = qs.filter(customer__customer_code=params["customer"])
        return qs

    def get_object(self):
        try:
            return selectors.task_detail(self.request.user, object_id(self.kwargs["pk"]))
        except Task.DoesNotExist:
            raise Http404 from None

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskSerializer, **REFUSALS})
    def create(self, request, *args, **kwargs):
        payload = TaskCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        scope = scope_for(request.user)
        with service_errors(not_found=(Interaction.DoesNotExist,)):
            if data.get("interaction"):
                interaction = scope.filter(Interaction.objects.select_related("customer"), "customer__").get(
                    pk=data["interaction"])
                task = services.task_from_interaction(interaction, actor=request.user, kind=data["kind"],
                                                      due_at=data["due_at"], note=data.get("notes", ""))
            else:
                customer = owner = None
                if data.get("customer"):
                    customer = scope.customers().filter(customer_code=data["customer"]).first()
                    if customer is None:
                        raise Http404
                if data.get("owner"):
                    owner = scope.staff_queryset().filter(staff_code=data["owner"]).first()
                    if owner is None:
                        raise Http404
                task = services.create_task(actor=request.user, customer=customer, owner=owner, kind=data["kind"],
                                            title=data["title"], notes=data["notes"], due_at=data["due_at"],
                                            ends_at=data["ends_at"], location=data["location"])
        return Response(TaskSerializer(selectors.task_detail(request.user, task.pk)).data,
                        status=status.HTTP_201_CREATED)

    def _change(self, request, pk, change, **kwargs):
        task_id = object_id(pk)
        with service_errors(not_found=services.TaskNotFound):
            change(actor=request.user, task_id=task_id, **kwargs)
        return Response(TaskSerializer(selectors.task_detail(request.user, task_id)).data)

    def _with_note(self, request, pk, change):
        self.get_object()  # out of scope reads as absent before the body is judged
        payload = NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._change(request, pk, change, note=payload.validated_data["note"])

    @extend_schema(request=NoteSerializer, responses={200: TaskSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Mark the task done (its owner or a manager)."""
        return self._with_note(request, pk, services.complete_task)

    @extend_schema(request=NoteSerializer, responses={200: TaskSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the task (its owner or a manager)."""
        return self._with_note(request, pk, services.cancel_task)

    @extend_schema(request=RescheduleSerializer, responses={200: TaskSerializer, **REFUSALS})
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        """Move the task; an appointment keeps its length unless a new end is given."""
        self.get_object()  # out of scope reads as absent before the body is judged
        payload = RescheduleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._change(request, pk, services.reschedule, **payload.validated_data)
