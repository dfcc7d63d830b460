# Mounted at /api/alerts/.
urlpatterns = []
