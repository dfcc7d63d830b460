# Mounted at /api/surveys/.
urlpatterns = []
