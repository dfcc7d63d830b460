# Mounted at /api/products/.
urlpatterns = []
