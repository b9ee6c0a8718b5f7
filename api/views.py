"""The REST API's views: thin, as the pages are. Each names the scope a key needs for it;
what the acting person may see and do is decided where the pages decide it."""

from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Department
from api.models import ApiKey, Scope
from api.throttling import rate_limit_headers
from tickets import access

# A scope value that any valid key satisfies (what the key itself may see: who it is).
ANY_KEY = "*"


class ApiMixin:
    """What every API view shares: the rate-limit headers on every answer."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        rate_limit_headers(request, response)
        return response


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    departments = serializers.ListField(child=serializers.IntegerField())
    key = serializers.DictField(allow_null=True)


class MeView(ApiMixin, APIView):
    """Who the request acts as: the person, their departments, and the key if one was used."""

    scopes = {"read": ANY_KEY}
    serializer_class = MeSerializer

    def get(self, request):
        user, key = request.user, request.auth
        return Response(
            {
                "id": user.pk,
                "email": user.email,
                "name": str(user),
                "departments": sorted(access.agent_department_ids(user))
                if access.is_agent(user)
                else [],
                "key": {
                    "name": key.name,
                    "scopes": key.scopes,
                    "expires_at": key.expires_at,
                }
                if isinstance(key, ApiKey)
                else None,
            }
        )


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "email"]


class DepartmentList(ApiMixin, generics.ListAPIView):
    """The departments, by name."""

    scopes = {"read": Scope.DEPARTMENTS_READ}
    serializer_class = DepartmentSerializer
    queryset = Department.objects.only("id", "name", "email").order_by("name", "id")
