"""Settings files, read by path rather than imported: defaults.py (the portal's defaults),
gunicorn.conf.py (the server) and instance.example.cfg (a commented instance file)."""
