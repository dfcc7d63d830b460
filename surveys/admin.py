# Registered as the app's models arrive.
