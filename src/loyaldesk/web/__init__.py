"""The HTTP transport: app factory, authentication, error mapping, console pages, templates, static files."""
