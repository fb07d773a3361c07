"""A minimal django-helpdesk site (SQLite) for the real-helpdesk drill test."""
