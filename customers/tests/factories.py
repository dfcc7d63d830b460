import factory
from django.contrib.auth import get_user_model

from customers.models import Customer, CurrentTier, Office, Role, Staff


def office(code):
    return Office.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    class Params:
        with_user = False

    staff_code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"员工{n}")
    office = factory.LazyFunction(lambda: office("CS"))
    role = Role.WEALTH_ADVISOR
    grade = factory.LazyAttribute(lambda o: "senior" if o.role == Role.INVESTMENT_ADVISOR else "")
    username = factory.LazyAttribute(lambda o: o.staff_code.lower())
    user = factory.Maybe("with_user", factory.SubFactory(UserFactory, username=factory.SelfAttribute("..username")))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    customer_code = factory.Sequence(lambda n: f"K{n:07d}")
    name = factory.Sequence(lambda n: f"客户{n}")
    kind = Customer.Kind.RETAIL
    office = factory.LazyFunction(lambda: office("CS"))
    risk_level = "C3"
    phone = "13812345678"
    id_number = "430102199001011234"


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CurrentTier

    customer = factory.SubFactory(CustomerFactory)
