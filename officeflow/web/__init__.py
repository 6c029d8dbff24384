"""The office's own web pages (issue 11): signed action links from notices, and the pages they
open. `create_app(settings)` (in `officeflow.web.app`) builds the FastAPI application;
`officeflow web` and `officeflow up` serve it with uvicorn. This package's ``__init__`` stays
light: the sender imports `officeflow.web.tokens` without FastAPI."""
