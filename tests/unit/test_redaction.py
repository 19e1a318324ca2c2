"""What the log redaction hides, and what it leaves readable."""
import pytest

from models.redaction import HIDDEN, redact

SIGNED = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJlLXBhcnQ"


@pytest.mark.parametrize("text,secret,kept", [
    (f"Authorization: Bearer {SIGNED}", SIGNED, "Authorization: Bearer"),
    ("authorization: bearer tsk_Zx9-abc_DEF", "tsk_Zx9-abc_DEF", "authorization: bearer"),
    (f"token {SIGNED} expired", "c2lnbmF0dXJlLXBhcnQ", "expired"),
    ("using tsk_Q2hhbmdlTWU-token_x", "Q2hhbmdlTWU-token_x", "using tsk_"),
    ('127.0.0.1:5 - "GET /evidence/local-downloads/eyJrIjoiYSJ9.c2ln HTTP/1.1" 200', "eyJrIjoiYSJ9.c2ln",
     "/evidence/local-downloads/"),
    ("POST /evidence/local-uploads/abc.def?x=1", "abc.def", "?x=1"),
    ("GET /ev/a.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261201&X-Amz-Signature=9f86d0",
     "9f86d0", "X-Amz-Algorithm=AWS4-HMAC-SHA256"),
    ("GET /ev/a.pdf?X-Amz-Credential=AKIA%2F20261201&X-Amz-Date=1", "AKIA%2F20261201", "X-Amz-Date=1"),
    ("GET /download?token=s3cr3t&page=2", "s3cr3t", "page=2"),
    ("username=demo-county-office&password=tisheng-demo", "tisheng-demo", "username=demo-county-office"),
    ('{"username": "x", "password": "hunter2"}', "hunter2", '"username": "x"'),
    ("evidence_url='s3://minio:Sup3rSecret@10.0.0.5:9000/evidence?secure=false'", "Sup3rSecret",
     "s3://minio:"),
    ("smtp://mailer:pa55@mail.example:587", "pa55", "mail.example:587"),
    ("postgresql+psycopg://app:dbpw@db/tisheng", "dbpw", "@db/tisheng"),
])
def test_secrets_are_hidden_and_the_rest_kept(text, secret, kept):
    out = redact(text)
    assert secret not in out and HIDDEN in out and kept in out


def test_secrets_given_by_value_are_hidden_wherever_they_appear():
    out = redact("POST https://hooks.example/services/T0/B0/XyZsecretPath 500", ["XyZsecretPath"])
    assert out == f"POST https://hooks.example/services/T0/B0/{HIDDEN} 500"
    assert redact("nothing here", ["", "absent"]) == "nothing here"


def test_ordinary_log_lines_are_unchanged():
    for line in ('127.0.0.1:50000 - "GET /tasks?campaign=c&kind=plan_review HTTP/1.1" 200',
                 "2 digest(s), 0 with escalations", "http://127.0.0.1:4200/api/flow_runs/abc",
                 "GET /evidence/12/download HTTP/1.1"):
        assert redact(line) == line
