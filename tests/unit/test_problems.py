"""Domain errors become problem+json; field-level ones list each field like validation errors do."""
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import problems
from models.errors import UnknownItems

app = FastAPI()
problems.install(app)


@app.get("/grade")
def grade() -> None:
    raise UnknownItems("items", ["课堂实录"], "evidence items of micro-ability A1", ["学情分析方案", "学情分析报告"])


def test_unknown_items_are_a_422_problem_naming_each_item():
    answer = TestClient(app).get("/grade")
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["title"] == "Unknown items" and "'课堂实录'" in body["detail"]
    assert body["errors"] == [{"field": "body.items.课堂实录",
                               "message": "not among the evidence items of micro-ability A1"}]
