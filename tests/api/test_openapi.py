"""What /docs shows: an example for every request body, and errors documented as problem+json."""

from __future__ import annotations

from typing import Any

from api.app import create_app


def _operations() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    schema = create_app().openapi()
    return [(path, method, operation, schema)
            for path, methods in schema["paths"].items() for method, operation in methods.items()]


def _has_example(media: dict[str, Any], components: dict[str, Any]) -> bool:
    if media.get("examples") or media.get("example"):
        return True
    target = media.get("schema", {})
    if "$ref" in target:
        target = components[target["$ref"].rsplit("/", 1)[-1]]
    return bool(target.get("examples") or target.get("example"))


def test_every_request_body_has_an_example_in_the_docs() -> None:
    with_body = [(p, m, o, s) for p, m, o, s in _operations() if "requestBody" in o]
    # POST alliances, PUT budgets, webhook, action concept and funding bank, POST rounds, POST/PATCH proposals, POST
    # transitions, PUT preferences; the steering group's: PUT scoring scheme, PUT own scores, POST condition answer
    # and judgement, POST session and agenda item, POST resolution, POST reserve pool and drawing, POST early start
    # and its answer; POST a procedure migration; POST a user's new token
    assert len(with_body) == 23
    for path, method, operation, schema in with_body:
        media = operation["requestBody"]["content"]["application/json"]
        assert _has_example(media, schema["components"]["schemas"]), f"{method.upper()} {path} has no example"


def test_every_error_is_documented_as_problem_json() -> None:
    for path, method, operation, _ in _operations():
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                assert list(response["content"]) == ["application/problem+json"], f"{method.upper()} {path} {code}"


def test_every_operation_that_needs_a_token_says_so_and_the_others_do_not() -> None:
    """The Authorize button of /docs: the bearer scheme on each operation whose route needs a caller."""
    schema = create_app().openapi()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    secured = {(m, p) for p, _, _, _ in _operations() for m, o in schema["paths"][p].items()
               if o.get("security") == [{"HTTPBearer": []}]}
    everything = {(m, p) for p, m, _, _ in _operations()}
    assert ("post", "/proposals/{proposal_id}/transitions") in secured
    assert ("get", "/proposals/{proposal_id}") in secured
    assert ("get", "/admin/outbox") in secured
    assert ("post", "/admin/users/{user_id}/disable") in secured
    assert everything - secured == {("get", "/health")}
