"""One module per group of pages; each has a `router` built with `PageRoute`.

Every page's navigation (templates/base.html) offers the desks the engine opens to the viewer; the template asks
`desks_of(viewer.actor)` (workflow/people/desks.py) rather than knowing which role works where. It is given to
the templates here, with the pages, because each page that renders base.html is one of these modules.
"""

from api.web.render import templates
from workflow.people.desks import desks_of

templates.env.globals["desks_of"] = desks_of
