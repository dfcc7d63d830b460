from rest_framework.routers import DefaultRouter

from .views import ApplicationViewSet, CustomerViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("applications", ApplicationViewSet, basename="application")
urlpatterns = router.urls
