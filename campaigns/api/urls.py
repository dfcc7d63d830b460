# Mounted at /api/campaigns/.
urlpatterns = []
