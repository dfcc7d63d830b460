"""Form errors as page messages, each naming its field, for forms posted from a page that redirects back."""
from django.contrib import messages


def report_form_errors(request, form):
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
