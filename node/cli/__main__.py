from node.cli import app

app()
