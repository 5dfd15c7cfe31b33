"""HTML reports of a dataset's model, a generation and an effect: server-side SVG charts in one self-contained page
each (no script, nothing fetched), reached through a sealed link (api/signed_links.py) a browser can open."""
