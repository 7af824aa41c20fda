"""The quickstart seed's "After — HALMAI enforced" snippet, runnable against a local Halm.

The snippet below is the seed's, unchanged except that the URL and the key come from the
environment (`source .halm/demo.env` sets HALM_URL, the gateway's base URL, and HALM_API_KEY).
`payment_api` is a stand-in for the real payment system the snippet guards.

    source .halm/demo.env && python3 examples/python-quickstart/quickstart.py
"""

import json
import os


class _PaymentApi:
    """Stands in for a real payment system: records what it was asked to send."""

    def __init__(self):
        self.sent = []

    def send(self, amount, recipient):
        self.sent.append({"amount": amount, "recipient": recipient})


payment_api = _PaymentApi()

# ---- the seed's snippet, unchanged but for the URL and the key ----
import requests

HALM_URL = os.environ["HALM_URL"] + "/api/kernel/authorize"
HEADERS = {"Authorization": "Bearer " + os.environ["HALM_API_KEY"]}

def process_payment(amount, recipient):
    # Ask HALMAI: should this action proceed?
    decision = requests.post(HALM_URL, headers=HEADERS, json={
        "type": "ledger:write",
        "payload": {"amount": amount, "recipient": recipient},
        "context": {"confidenceScore": 0.92}
    }).json()

    if not decision["allowed"]:
        return {"blocked": True, "reasons": decision["reasons"]}

    payment_api.send(amount, recipient)
    return {"status": "sent", "proposalId": decision["proposalId"]}
# ---- end of the seed's snippet ----


if __name__ == "__main__":
    print(json.dumps(process_payment(120, "acme")))
    print(json.dumps(process_payment(50000, "acme")))
