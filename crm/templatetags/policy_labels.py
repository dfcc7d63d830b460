"""Template filters for names people read: datasets and jobs (crm.job_labels)."""
from django import template

from crm.job_labels import dataset_label as _dataset_label, job_name as _job_name

register = template.Library()


@register.filter
def dataset_label(code):
    return _dataset_label(code)


@register.filter
def job_name(code):
    return _job_name(code)
