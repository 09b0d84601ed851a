# SPDX-License-Identifier: EUPL-1.2
# Drives the old release's API after its demo (generate.sh): leaves one
# proposal in review, activates one allocation, then saves every object as
# the API answers it.
import json, os, sys, urllib.request

base, mgr = os.environ["PACTUM_URL"], os.environ["TOKEN"]

def call(method, path, token, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        data = r.read()
        return json.loads(data) if data else None

def items(v):
    return v["items"] if isinstance(v, dict) and "items" in v else v

proposals = items(call("GET", "/api/v1/proposals?limit=1000", mgr))
# A copy of a proposal the demo's screening referred (and its manager then
# decided), submitted again by its applicant and left in review.
referred = next(p for p in proposals if p["screening"]["outcome"] == "refer" and p["state"] == "accepted")
tok = call("POST", "/api/v1/users/%s/tokens" % referred["applicant_id"], mgr, {"name": "fixture"})["secret"]
server_set = {"id", "organization_id", "applicant_id", "state", "screening", "decision", "submitted_at", "decision_due_at",
              "created_at", "updated_at", "version"}
inp = {k: v for k, v in referred.items() if k not in server_set}
inp["title"] = referred["title"] + " (second phase)"
p = call("POST", "/api/v1/proposals?submit=true", tok, inp)
assert p["state"] == "in_review", p["state"]

allocs = items(call("GET", "/api/v1/allocations?limit=1000", mgr))
with_conditions = next(a for a in allocs if a.get("conditions"))
site = call("GET", "/api/v1/systems/%s" % with_conditions["system_id"], mgr)["site"]
op = call("POST", "/api/v1/users", mgr, {"email": "ops@site.example", "name": "Site Operator", "role": "site_operator", "site": site})
op_tok = call("POST", "/api/v1/users/%s/tokens" % op["id"], mgr, {"name": "fixture"})["secret"]
call("POST", "/api/v1/allocations/%s/transition" % with_conditions["id"], op_tok, {"state": "active", "reason": "provisioned"})

objects = {}
for name, path in [("proposals", "/api/v1/proposals?limit=1000"), ("allocations", "/api/v1/allocations?limit=1000"),
                   ("organizations", "/api/v1/organizations?limit=1000"), ("users", "/api/v1/users?limit=1000"),
                   ("calls", "/api/v1/calls?limit=1000")]:
    objects[name] = sorted(items(call("GET", path, mgr)), key=lambda o: o["id"])
objects["in_review"] = p["id"]
objects["activated"] = with_conditions["id"]
os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
with open(sys.argv[1], "w") as f:
    json.dump(objects, f, indent=1, sort_keys=True)
    f.write("\n")
