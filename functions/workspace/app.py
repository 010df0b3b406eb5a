"""The workspace REST API (issue 15, docs/workspace.md): pipelines and stages, users, the tags catalog, jobs.

The HTTP edge, one function for every workspace resource (they share models and one cold start): parameters,
status codes, headers, URLs and envelopes are here; the services of `leadgate.workspace` take validated models
and return records and pages. A path id that is not a workspace id (`leadgate.workspace.ids.from_path`) names
nothing: 404.
"""

from leadgate.api import create_resolver
from leadgate.observability import observed

app = create_resolver()

lambda_handler = observed(app)
