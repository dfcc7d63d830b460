import pytest

from customers.models import Role


@pytest.fixture
def ops(make_staff):
    return make_staff(Role.OPERATIONS, "CS")


@pytest.fixture
def advisor(make_staff):
    return make_staff(Role.WEALTH_ADVISOR, "CS")


@pytest.fixture
def customer(customer_of, advisor):
    return customer_of(advisor)


S2020_SATISFIED = {"Q1": "A", "Q2": "A", "Q3": "B", "Q4": "B", "Q5": "A", "Q6": "A", "Q7": "F"}


@pytest.fixture
def s2020_data(customer):
    def make(**answers):
        return {"questionnaire": "S2020", "customer_code": customer.customer_code, "channel": "phone",
                "outcome": "completed", "answers": {**S2020_SATISFIED, **answers}}
    return make
