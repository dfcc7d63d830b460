# Mounted at /api/planner/.
urlpatterns = []
