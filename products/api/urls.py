# Mounted at /api/products/.
from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import ProductViewSet, RecommendationView

router = DefaultRouter()
router.register("products", ProductViewSet, basename="product")
urlpatterns = [
    path("recommendations/<str:customer_code>/", RecommendationView.as_view(), name="recommendations"),
    *router.urls,
]
