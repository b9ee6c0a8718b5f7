"""Scopes: what a key may do. A view names the scope each method needs; a request
authenticated by a key needs it, a signed-in person acts as on the pages."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from api.models import ApiKey


def scope_needed(view, method: str) -> str | None:
    scopes = getattr(view, "scopes", {})
    if method in scopes:
        return scopes[method]
    return scopes.get("read" if method in SAFE_METHODS else "write")


class HasScope(BasePermission):
    message = "This API key lacks the scope this request needs."

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            return bool(request.user and request.user.is_authenticated)
        needed = scope_needed(view, request.method)
        if needed is None:
            return False  # a view that names no scope is closed to keys
        if needed == "*":  # any valid key (api.views.ANY_KEY)
            return True
        self.message = f"This API key lacks the {needed} scope."
        return needed in key.scopes
