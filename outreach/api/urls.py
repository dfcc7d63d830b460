# Mounted at /api/outreach/.
urlpatterns = []
