"""The MCP server (docs/mcp.md): the operations registry as MCP tools, resources and prompts, served over
Streamable HTTP at /mcp on the API (http.py) and over stdio by `simulacra mcp` (stdio.py).

Tools are built from the OpenAPI document the registry generates, and every tool call is the REST operation
itself, sent through the typed client (simulacra.api.client): to the app in process over HTTP, to a server URL
over stdio. So auth, scopes, tenancy, idempotency and errors are the REST routes', never a second copy.
Only http.py imports the server; the rest runs where just the client is installed to run.
"""
