"""Small helpers for driving admin forms in tests."""

from django.urls import reverse


def admin_url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def inline_data(prefix: str, rows: list[dict], *, initial: int = 0) -> dict[str, str]:
    """POST data for an inline formset: its management form and one dict per row."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for field, value in row.items():
            data[f"{prefix}-{index}-{field}"] = "" if value is None else str(value)
    return data


def form_errors(response) -> list[str]:
    """Every error on an admin change form, its inlines included, as plain strings."""
    flat: list[str] = []
    # Django's AdminErrorList mixes the forms' ErrorLists with the formsets' non-form
    # errors, which arrive as bare strings.
    for error in response.context.get("errors") or []:
        if isinstance(error, str):
            flat.append(error)
        else:
            flat.extend(str(message) for message in error)
    return flat
