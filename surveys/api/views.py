from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.permissions import IsStaffMember

from .. import selectors, services
from ..filters import ResponseFilter
from ..models import Answer, QuestionnaireVersion
from .serializers import QuestionnaireSerializer, ResponseInputSerializer, ResponseSerializer


class QuestionnaireViewSet(viewsets.ReadOnlyModelViewSet):
    """The active version of each questionnaire with its questions and options; look up by code."""

    serializer_class = QuestionnaireSerializer
    permission_classes = [IsStaffMember]
    lookup_field = "questionnaire__code"
    lookup_url_kwarg = "code"
    pagination_class = None

    def get_queryset(self):
        return (QuestionnaireVersion.objects.filter(status="active").select_related("questionnaire")
                .prefetch_related("questions__options").order_by("questionnaire_id"))


class ResponseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Responses in the caller's data scope; POST files one (operations staff) with the form's validation."""

    permission_classes = [IsStaffMember]
    write_actions = {"create": "survey.file"}  # customers.rights.Write.FILE_SURVEY
    filterset_class = ResponseFilter

    def get_serializer_class(self):
        return ResponseInputSerializer if self.action == "create" else ResponseSerializer

    def get_queryset(self):
        return selectors.responses_for(self.request.user).prefetch_related(
            Prefetch("answers", Answer.objects.select_related("question", "option")))

    @extend_schema(request=ResponseInputSerializer, responses={201: ResponseSerializer, 400: dict, 409: dict})
    def create(self, request, *args, **kwargs):
        shape = ResponseInputSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        data = dict(shape.validated_data)
        if data.get("date"):
            data["date"] = data["date"].isoformat()
        try:
            response = services.file_response(actor=request.user, data=data, source="api")
        except services.AlreadyFiled as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_409_CONFLICT)
        except services.SurveyInvalid as exc:
            return Response({"errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(ResponseSerializer(self.get_queryset().get(pk=response.pk)).data,
                        status=status.HTTP_201_CREATED)


class ReportView(APIView):
    """Per question, per option count and percent (table 3-1 layout) for the caller's scope, with the
    response filters (date_from, date_to, office, advisor, star, stage, channel) and the response rate."""

    permission_classes = [IsStaffMember]

    @extend_schema(parameters=[OpenApiParameter("date_from", str), OpenApiParameter("date_to", str)],
                   responses={200: dict})
    def get(self, request, code):
        if not selectors.questionnaires().filter(code=code).exists():
            raise Http404
        filterset = ResponseFilter(request.GET, queryset=selectors.responses_for(request.user))
        if not filterset.is_valid():
            return Response({"errors": filterset.errors}, status=status.HTTP_400_BAD_REQUEST)
        version, table = selectors.option_table(filterset.qs, code)
        rate = selectors.response_rate(filterset.qs, code)
        return Response({"questionnaire": code, "version": version.version, "respondents": rate["completed"],
                         "response_rate": rate, "questions": [
                             {"code": q["code"], "text": q["text"], "answered": q["answered"],
                              "options": [{"code": o["code"], "label": o["label"], "count": o["count"],
                                           "percent": o["percent"]} for o in q["options"]]}
                             for q in table]})
