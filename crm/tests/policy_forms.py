"""Test helper for the labelled policy forms (crm.param_labels.PolicyParamsForm)."""


def posted(form):
    """What a policy page posts when nothing is changed: scalars by name, list and mapping rows as <name>__<row>."""
    data = {}
    for name, field in form.fields.items():
        value = field.initial
        if isinstance(value, dict):
            data.update({f"{name}__{k}": v for k, v in value.items()})
        elif isinstance(value, (list, tuple)):
            data.update({f"{name}__{i}": v for i, v in enumerate(value)})
        elif value is not None:
            data[name] = value
    return data
