"""A full sign-off through a client generated from govrt's OpenAPI document
(openapi-python-client), using only its generated methods and types:
create a model version, move it to review, request review, feedback from
three reviewers, the final approval, and the deploy check. Run by
tests/client.rs with the generated package on PYTHONPATH.

Usage: signoff.py BASE_URL MODEL_ID   (tokens in GOVRT_TOKENS, JSON by user)
"""

import json
import os
import sys

from govrt_client import AuthenticatedClient
from govrt_client.api.items import create_item, get_item, list_items, move_item
from govrt_client.api.signoffs import deploy, signoff
from govrt_client.models import (
    CreateBody,
    CreateBodyFields,
    DeployDecision,
    DeployVerdict,
    ErrorBody,
    ItemView,
    MoveBody,
    SignOffBody,
    SignOffView,
    Status,
    Verb,
)

base_url, model = sys.argv[1], sys.argv[2]
tokens = json.loads(os.environ["GOVRT_TOKENS"])


def client(user):
    return AuthenticatedClient(base_url=base_url, token=tokens[user], raise_on_unexpected_status=True)


def expect(value, kind):
    assert isinstance(value, kind), f"expected {kind.__name__}, got {value!r}"
    return value


owner = client("owner")
fields = CreateBodyFields.from_dict({"owner": "owner", "risk_tier": "low"})
version = expect(
    create_item.sync(client=owner, body=CreateBody(blueprint="model_version", name="Scorer v9", parent=model, fields=fields)),
    ItemView,
)
assert version.parent == model and version.step == "exploration", version

# The ETag goes back as If-Match: the item's revision, as the client read it.
moved = expect(move_item.sync(version.id, client=owner, body=MoveBody(step="review"), if_match=f'"{version.revision}"'), ItemView)
assert moved.step == "review" and moved.revision == version.revision + 1

view = expect(signoff.sync(version.id, Verb.REQUEST_REVIEW, client=owner), SignOffView)
assert view.status == Status.WAITING_FOR_FEEDBACK, view.status
assert sorted(view.missing_feedback) == ["business", "it_ops", "risk"], view.missing_feedback

# A refusal comes back as the typed error.
refused = expect(signoff.sync(version.id, Verb.APPROVE, client=client("approver")), ErrorBody)
assert refused.error.code in ("invalid_transition", "not_permitted"), refused.error.code

for user, group in [("itops", "it_ops"), ("risk1", "risk"), ("biz", "business")]:
    body = SignOffBody(group=group, verdict="approved", comment=f"{group} is fine")
    view = expect(signoff.sync(version.id, Verb.FEEDBACK, client=client(user), body=body), SignOffView)
assert view.missing_feedback == [], view.missing_feedback

blocked = expect(deploy.sync(version.id, "prod", client=owner), DeployDecision)
assert blocked.decision == DeployVerdict.BLOCK, blocked

view = expect(signoff.sync(version.id, Verb.REQUEST_FINAL, client=owner), SignOffView)
assert view.status == Status.WAITING_FOR_APPROVAL, view.status
view = expect(signoff.sync(version.id, Verb.APPROVE, client=client("approver"), body=SignOffBody(comment="fit for production")), SignOffView)
assert view.status == Status.APPROVED, view.status

allowed = expect(deploy.sync(version.id, "prod", client=owner), DeployDecision)
assert allowed.decision == DeployVerdict.ALLOW, allowed

# Pages, through the generated list: every item once.
seen, cursor = [], None
while True:
    kwargs = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
    answer = list_items.sync_detailed(client=owner, **kwargs)
    assert answer.status_code == 200, answer
    seen += [expect(i, ItemView).id for i in answer.parsed]
    cursor = answer.headers.get("x-next-cursor")
    if cursor is None:
        break
assert version.id in seen and len(seen) == len(set(seen)), seen
assert expect(get_item.sync(version.id, client=owner), ItemView).name == "Scorer v9"
print("signed off", version.id)
