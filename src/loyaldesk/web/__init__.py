"""All HTTP: the app factory, authentication, error mapping, templates and static files, and one package per
audience: ``api`` (store backends, ``/api/v1`` and webhooks), ``console`` (staff), ``member`` (shoppers'
pages and the member API), ``widget`` (the chat widget's HTTP side). Sockets are ``realtime``."""
