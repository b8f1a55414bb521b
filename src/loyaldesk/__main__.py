from loyaldesk.cli import app

app()
