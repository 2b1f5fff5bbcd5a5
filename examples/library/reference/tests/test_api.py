"""Every operation of the contract, with every status code it documents.

Each test names the documented responses it exercises with ``@covers``; the
last test checks that together they cover the whole contract. Every response
body is validated against the contract by the ``api`` fixture (conftest.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from conftest import CONTRACT, LIBRARIAN, PASSWORD, Account, Api, covers, documented_responses
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from app import create_app
from app.services import clock

HUGE_ID = 10**20  # beyond SQLite's 64-bit integers


def fields(body: dict[str, Any]) -> set[str]:
    """The fields named by a validation error's details."""
    assert body["code"] == "validation_error"
    return {detail["field"] for detail in body["details"]}


def move_clock(monkeypatch: pytest.MonkeyPatch, days: int) -> None:
    """Move the services' clock forward (from wherever it stands)."""
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() + timedelta(days=days))


# -- accounts and tokens


@covers("registerMember 201", "login 200")
def test_register_then_login(api: Api) -> None:
    body = {"email": "Ada@Example.org", "password": "12345678", "fullName": "Ada Lovelace"}
    member = api("registerMember", 201, json=body)
    assert member["email"] == "Ada@Example.org"
    assert member["fullName"] == "Ada Lovelace"
    assert member["role"] == "member"

    token = api("login", 200, json={"email": "ada@example.org", "password": "12345678"})
    assert token["tokenType"] == "Bearer"
    assert token["expiresIn"] == 3600
    api("listLoans", 200, token=token["accessToken"])


@covers("registerMember 400")
@pytest.mark.parametrize(
    ("body", "invalid"),
    [
        ({}, {"email", "password", "fullName"}),
        ({"email": "not-an-email", "password": "12345678", "fullName": "A"}, {"email"}),
        ({"email": "a@example.org", "password": "1234567", "fullName": "A"}, {"password"}),
        ({"email": "a@example.org", "password": "x" * 129, "fullName": "A"}, {"password"}),
        ({"email": "a@example.org", "password": "12345678", "fullName": ""}, {"fullName"}),
        ({"email": "a@example.org", "password": "12345678", "fullName": "A" * 121}, {"fullName"}),
        ({"email": "a@example.org", "password": 12345678, "fullName": "A"}, {"password"}),
        ({"email": "a@example.org", "password": "\ud800" * 8, "fullName": "A"}, {"password"}),
        ({"email": "a@example.org", "password": "12345678", "fullName": "A", "role": "librarian"}, {"role"}),
        (None, {"body"}),
        ([], {"body"}),
    ],
)
def test_register_rejects_invalid_bodies(api: Api, body: Any, invalid: set[str]) -> None:
    sent = {"data": "null", "content_type": "application/json"} if body is None else {"json": body}
    assert fields(api("registerMember", 400, **sent)) == invalid


@covers("registerMember 400")
def test_register_needs_a_json_body(api: Api) -> None:
    assert fields(api("registerMember", 400, data="email=a@example.org", content_type="text/plain")) == {"body"}
    assert fields(api("registerMember", 400, data="{not json", content_type="application/json")) == {"body"}


@covers("registerMember 409")
def test_an_email_registers_once(api: Api, member: Account) -> None:
    for email in ("ada@example.org", "ADA@example.org", LIBRARIAN["email"]):
        body = {"email": email, "password": PASSWORD, "fullName": "Ada Again"}
        assert api("registerMember", 409, json=body)["code"] == "conflict"


@covers("login 400")
@pytest.mark.parametrize(
    ("body", "invalid"),
    [
        ({}, {"email", "password"}),
        ({"email": "ada", "password": "x"}, {"email"}),
        ({"email": "ada@example.org", "password": ""}, {"password"}),
        ({"email": "ada@example.org", "password": "x", "remember": True}, {"remember"}),
    ],
)
def test_login_rejects_invalid_bodies(api: Api, body: dict[str, Any], invalid: set[str]) -> None:
    assert fields(api("login", 400, json=body)) == invalid


@covers("login 401")
def test_login_with_wrong_credentials_is_401(api: Api, member: Account) -> None:
    wrong = api("login", 401, json={"email": "ada@example.org", "password": "wrong-password"})
    assert wrong["code"] == "unauthorized"
    assert api.last.headers["WWW-Authenticate"] == "Bearer"
    api("login", 401, json={"email": "nobody@example.org", "password": PASSWORD})


def _auth_operations() -> list[Any]:
    return [op for op in CONTRACT.operations if op.requires_auth]


@covers(*(f"{op.operation_id} 401" for op in _auth_operations()))
def test_operations_behind_bearer_auth_are_401_without_a_valid_token(api: Api, member: Account) -> None:
    # Change the signature's first character: its six bits all count (the last one's may be padding).
    head, _, signature = member.token.rpartition(".")
    tampered = f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    other_key = URLSafeTimedSerializer("another-secret", salt="library-auth").dumps({"sub": member.id})
    for op in _auth_operations():
        ids = {p.name: 1 for p in op.parameters if p.location == "path"}
        for headers in ({}, {"Authorization": member.token}, {"Authorization": "Basic YWRhOng="}):
            body = api(op.operation_id, 401, headers=headers, json={}, **ids)
            assert body["code"] == "unauthorized"
            assert api.last.headers["WWW-Authenticate"] == "Bearer"
        for token in ("", "garbage", tampered, other_key):
            api(op.operation_id, 401, token=token, json={}, **ids)


@covers("listLoans 200", "listLoans 401")
def test_tokens_expire_after_an_hour(api: Api, member: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    issued = time.time()
    monkeypatch.setattr(time, "time", lambda: issued + 3590)
    api("listLoans", 200, token=member.token)
    monkeypatch.setattr(time, "time", lambda: issued + 3610)
    api("listLoans", 401, token=member.token)


def test_the_librarian_account_survives_restarts(librarian: Account) -> None:
    restarted = Api(create_app().test_client())  # the account exists already: nothing to create
    token = restarted("login", 200, json=LIBRARIAN)["accessToken"]
    body = {"isbn": "9780140449136", "title": "Crime and Punishment", "author": "F. Dostoevsky", "copiesTotal": 1}
    assert restarted("createBook", 201, token=token, json=body)["copiesTotal"] == 1


# -- books


@covers("createBook 201", "getBook 200")
def test_create_and_get_a_book(api: Api, librarian: Account) -> None:
    body = {"isbn": "014044913X", "title": "Notes", "author": "Fyodor Dostoevsky", "copiesTotal": 3}
    book = api("createBook", 201, token=librarian.token, json=body)
    assert api.last.headers["Location"].endswith(f"/books/{book['id']}")
    assert book["availableCopies"] == 3
    assert book["publishedYear"] is None
    assert api("getBook", 200, bookId=book["id"]) == book

    dated = api("createBook", 201, token=librarian.token, json={**body, "isbn": "9780140449136", "publishedYear": 1866})
    assert dated["publishedYear"] == 1866


@covers("createBook 400")
@pytest.mark.parametrize(
    ("change", "invalid"),
    [
        ({"isbn": "978-0140449136"}, {"isbn"}),
        ({"isbn": "9780140449136\n"}, {"isbn"}),
        ({"isbn": "123456789x"}, {"isbn"}),
        ({"isbn": "9770140449136"}, {"isbn"}),
        ({"title": ""}, {"title"}),
        ({"title": "T" * 201}, {"title"}),
        ({"author": "A" * 121}, {"author"}),
        ({"publishedYear": 1449}, {"publishedYear"}),
        ({"publishedYear": 2101}, {"publishedYear"}),
        ({"publishedYear": None}, {"publishedYear"}),
        ({"copiesTotal": 0}, {"copiesTotal"}),
        ({"copiesTotal": 501}, {"copiesTotal"}),
        ({"copiesTotal": "2"}, {"copiesTotal"}),
        ({"copiesTotal": 1.5}, {"copiesTotal"}),
        ({"copiesTotal": True}, {"copiesTotal"}),
        ({"colour": "red"}, {"colour"}),
    ],
)
def test_create_book_validates_the_body(
    api: Api, librarian: Account, change: dict[str, Any], invalid: set[str]
) -> None:
    body = {"isbn": "9780140449136", "title": "T", "author": "A", "copiesTotal": 1, **change}
    assert fields(api("createBook", 400, token=librarian.token, json=body)) == invalid


@covers("createBook 400")
def test_create_book_requires_its_fields(api: Api, librarian: Account) -> None:
    assert fields(api("createBook", 400, token=librarian.token, json={})) == {"isbn", "title", "author", "copiesTotal"}


@covers("createBook 403", "updateBook 403", "deleteBook 403")
def test_only_librarians_manage_the_catalogue(api: Api, member: Account, book: dict[str, Any]) -> None:
    body = {"isbn": "9780140449136", "title": "T", "author": "A", "copiesTotal": 1}
    assert api("createBook", 403, token=member.token, json=body)["code"] == "forbidden"
    api("updateBook", 403, token=member.token, json={"title": "Mine"}, bookId=book["id"])
    api("deleteBook", 403, token=member.token, bookId=book["id"])
    assert api("getBook", 200, bookId=book["id"]) == book


@covers("createBook 409")
def test_an_isbn_is_catalogued_once(api: Api, librarian: Account, book: dict[str, Any]) -> None:
    body = {"isbn": book["isbn"], "title": "Another", "author": "Someone", "copiesTotal": 1}
    assert api("createBook", 409, token=librarian.token, json=body)["code"] == "conflict"


@covers("getBook 404", "getBook 400")
def test_get_book_errors(api: Api, book: dict[str, Any]) -> None:
    assert api("getBook", 404, bookId=book["id"] + 1)["code"] == "not_found"
    api("getBook", 404, bookId=HUGE_ID)
    for bad in ("abc", "0", "-1", "1.5", "%201"):
        assert fields(api("getBook", 400, bookId=bad)) == {"bookId"}


@covers("updateBook 200")
def test_update_a_book(api: Api, librarian: Account, member: Account, add_book: Callable[..., Any]) -> None:
    book = add_book(publishedYear=1866, copiesTotal=2)
    api("createLoan", 201, token=member.token, json={"bookId": book["id"]})
    changed = api(
        "updateBook", 200, token=librarian.token, json={"copiesTotal": 3, "publishedYear": None}, bookId=book["id"]
    )
    assert changed == {**book, "copiesTotal": 3, "availableCopies": 2, "publishedYear": None}
    same_isbn = api(
        "updateBook", 200, token=librarian.token, json={"isbn": book["isbn"], "title": "T"}, bookId=book["id"]
    )
    assert same_isbn["title"] == "T"
    api("updateBook", 200, token=librarian.token, json={"copiesTotal": 1}, bookId=book["id"])
    assert api("getBook", 200, bookId=book["id"])["availableCopies"] == 0


@covers("updateBook 400")
def test_update_book_validates_the_body_and_the_id(api: Api, librarian: Account, book: dict[str, Any]) -> None:
    token, book_id = librarian.token, book["id"]
    assert fields(api("updateBook", 400, token=token, json={}, bookId=book_id)) == {"body"}
    assert fields(api("updateBook", 400, token=token, json={"copiesTotal": None}, bookId=book_id)) == {"copiesTotal"}
    assert fields(api("updateBook", 400, token=token, json={"isbn": "x", "extra": 1}, bookId=book_id)) == {
        "isbn",
        "extra",
    }
    assert fields(api("updateBook", 400, token=token, json={"title": "T"}, bookId="abc")) == {"bookId"}


@covers("updateBook 404")
def test_update_an_unknown_book(api: Api, librarian: Account) -> None:
    api("updateBook", 404, token=librarian.token, json={"title": "T"}, bookId=42)


@covers("updateBook 409")
def test_update_book_conflicts(
    api: Api, librarian: Account, member: Account, other: Account, add_book: Callable[..., Any]
) -> None:
    first, second = add_book(copiesTotal=2), add_book("The Idiot", copiesTotal=2)
    api("updateBook", 409, token=librarian.token, json={"isbn": first["isbn"]}, bookId=second["id"])
    for account in (member, other):
        api("createLoan", 201, token=account.token, json={"bookId": second["id"]})
    api("updateBook", 409, token=librarian.token, json={"copiesTotal": 1}, bookId=second["id"])


@covers("deleteBook 204", "getBook 404")
def test_delete_a_book_with_its_past_loans_and_reservations(
    api: Api, librarian: Account, member: Account, other: Account, book: dict[str, Any]
) -> None:
    loan = api("createLoan", 201, token=member.token, json={"bookId": book["id"]})
    api("createReservation", 201, token=other.token, json={"bookId": book["id"]})
    api("returnLoan", 200, token=member.token, loanId=loan["id"])

    api("deleteBook", 204, token=librarian.token, bookId=book["id"])
    api("getBook", 404, bookId=book["id"])
    assert api("listLoans", 200, token=librarian.token)["total"] == 0
    assert api("listReservations", 200, token=librarian.token)["total"] == 0


@covers("deleteBook 404")
def test_delete_an_unknown_book(api: Api, librarian: Account) -> None:
    for book_id in (42, HUGE_ID, "abc", "0"):
        assert api("deleteBook", 404, token=librarian.token, bookId=book_id)["code"] == "not_found"


@covers("deleteBook 409")
def test_a_book_on_loan_cannot_be_deleted(api: Api, librarian: Account, member: Account, book: dict[str, Any]) -> None:
    api("createLoan", 201, token=member.token, json={"bookId": book["id"]})
    api("deleteBook", 409, token=librarian.token, bookId=book["id"])


@covers("listBooks 200")
def test_list_books_by_title_in_pages(api: Api, add_book: Callable[..., Any]) -> None:
    for title in ("Demons", "Anna Karenina", "Crime and Punishment", "Bobok", "Eugene Onegin"):
        add_book(title)
    first = api("listBooks", 200)
    assert (first["page"], first["pageSize"], first["total"]) == (1, 20, 5)
    assert [b["title"] for b in first["items"]] == [
        "Anna Karenina",
        "Bobok",
        "Crime and Punishment",
        "Demons",
        "Eugene Onegin",
    ]
    second = api("listBooks", 200, query={"page": 2, "pageSize": 2})
    assert (second["page"], second["pageSize"], second["total"]) == (2, 2, 5)
    assert [b["title"] for b in second["items"]] == ["Crime and Punishment", "Demons"]
    assert api("listBooks", 200, query={"page": 4, "pageSize": 2})["items"] == []
    assert api("listBooks", 200, query={"page": HUGE_ID, "pageSize": 100})["items"] == []


@covers("listBooks 200")
def test_list_books_filters(api: Api, member: Account, add_book: Callable[..., Any]) -> None:
    crime = add_book("Crime and Punishment")
    add_book("Anna Karenina", author="Leo Tolstoy", copiesTotal=2)
    add_book("100% Dostoevsky", author="Critic")

    def titles(**query: Any) -> list[str]:
        return [b["title"] for b in api("listBooks", 200, query=query)["items"]]

    assert titles(q="CRIME") == ["Crime and Punishment"]
    assert titles(q="tolstoy") == ["Anna Karenina"]
    assert titles(q="dostoevsky") == ["100% Dostoevsky", "Crime and Punishment"]
    assert titles(q="0%") == ["100% Dostoevsky"]
    assert titles(q="_") == []
    assert titles(author="Leo Tolstoy") == ["Anna Karenina"]
    assert titles(author="leo tolstoy") == []

    api("createLoan", 201, token=member.token, json={"bookId": crime["id"]})
    assert titles(available="false") == ["Crime and Punishment"]
    assert titles(available="true") == ["100% Dostoevsky", "Anna Karenina"]
    assert titles(available="true", author="Critic", q="100") == ["100% Dostoevsky"]


@covers("listBooks 400")
@pytest.mark.parametrize(
    ("query", "invalid"),
    [
        ({"page": "0"}, {"page"}),
        ({"page": "one"}, {"page"}),
        ({"pageSize": "0"}, {"pageSize"}),
        ({"pageSize": "101"}, {"pageSize"}),
        ({"pageSize": "2.5"}, {"pageSize"}),
        ({"available": "yes"}, {"available"}),
        ({"q": ""}, {"q"}),
        ({"q": "x" * 101}, {"q"}),
        ({"author": ""}, {"author"}),
        ({"author": "A" * 121}, {"author"}),
    ],
)
def test_list_books_validates_the_query(api: Api, query: dict[str, str], invalid: set[str]) -> None:
    assert fields(api("listBooks", 400, query=query)) == invalid


# -- loans


@covers("createLoan 201", "getLoan 200")
def test_borrow_a_book(api: Api, member: Account, add_book: Callable[..., Any]) -> None:
    book = add_book(copiesTotal=2)
    loan = api("createLoan", 201, token=member.token, json={"bookId": book["id"]})
    assert (loan["bookId"], loan["memberId"], loan["status"]) == (book["id"], member.id, "active")
    assert loan["dueDate"] == (clock.today() + timedelta(days=21)).isoformat()
    assert loan["returnedAt"] is None
    assert loan["overdue"] is False
    assert api("getBook", 200, bookId=book["id"])["availableCopies"] == 1
    assert api("getLoan", 200, token=member.token, loanId=loan["id"]) == loan

    mine = api("createLoan", 201, token=member.token, json={"bookId": add_book("Bobok")["id"], "memberId": member.id})
    assert mine["memberId"] == member.id


@covers("createLoan 201", "getLoan 200")
def test_a_librarian_lends_to_a_member(api: Api, librarian: Account, member: Account, book: dict[str, Any]) -> None:
    loan = api("createLoan", 201, token=librarian.token, json={"bookId": book["id"], "memberId": member.id})
    assert loan["memberId"] == member.id
    assert api("getLoan", 200, token=librarian.token, loanId=loan["id"]) == loan
    assert api("listLoans", 200, token=member.token)["items"] == [loan]


@covers("createLoan 400")
@pytest.mark.parametrize(
    ("body", "invalid"),
    [
        ({}, {"bookId"}),
        ({"bookId": "1"}, {"bookId"}),
        ({"bookId": 0}, {"bookId"}),
        ({"bookId": 1, "memberId": 0}, {"memberId"}),
        ({"bookId": 1, "dueDate": "2030-01-01"}, {"dueDate"}),
    ],
)
def test_borrow_validates_the_body(api: Api, member: Account, body: dict[str, Any], invalid: set[str]) -> None:
    assert fields(api("createLoan", 400, token=member.token, json=body)) == invalid


@covers("createLoan 403")
def test_only_librarians_lend_to_someone_else(api: Api, member: Account, other: Account, book: dict[str, Any]) -> None:
    body = {"bookId": book["id"], "memberId": other.id}
    assert api("createLoan", 403, token=member.token, json=body)["code"] == "forbidden"


@covers("createLoan 404")
def test_borrow_unknown_books_or_members(api: Api, librarian: Account, member: Account, book: dict[str, Any]) -> None:
    for book_id in (book["id"] + 1, HUGE_ID):
        assert api("createLoan", 404, token=member.token, json={"bookId": book_id})["code"] == "not_found"
    for member_id in (member.id + 1, HUGE_ID):
        api("createLoan", 404, token=librarian.token, json={"bookId": book["id"], "memberId": member_id})


@covers("createLoan 409")
def test_borrow_conflicts(api: Api, member: Account, other: Account, add_book: Callable[..., Any]) -> None:
    single = add_book("Single")
    api("createLoan", 201, token=other.token, json={"bookId": single["id"]})
    api("createLoan", 409, token=member.token, json={"bookId": single["id"]})  # no copy on the shelf

    double = add_book("Double", copiesTotal=2)
    api("createLoan", 201, token=member.token, json={"bookId": double["id"]})
    api("createLoan", 409, token=member.token, json={"bookId": double["id"]})  # borrows it already

    for n in range(4):
        api("createLoan", 201, token=member.token, json={"bookId": add_book(f"Book {n}")["id"]})
    sixth = add_book("Sixth")
    assert api("createLoan", 409, token=member.token, json={"bookId": sixth["id"]})["code"] == "conflict"
    assert api("listLoans", 200, token=member.token, query={"status": "active"})["total"] == 5


@covers("getLoan 403", "returnLoan 403")
def test_members_only_see_and_return_their_own_loans(
    api: Api, member: Account, other: Account, book: dict[str, Any]
) -> None:
    loan = api("createLoan", 201, token=member.token, json={"bookId": book["id"]})
    assert api("getLoan", 403, token=other.token, loanId=loan["id"])["code"] == "forbidden"
    api("returnLoan", 403, token=other.token, loanId=loan["id"])


@covers("getLoan 404", "returnLoan 404")
def test_unknown_loans(api: Api, member: Account) -> None:
    for loan_id in (1, 0, HUGE_ID, "abc"):
        assert api("getLoan", 404, token=member.token, loanId=loan_id)["code"] == "not_found"
        api("returnLoan", 404, token=member.token, loanId=loan_id)


@covers("returnLoan 200", "returnLoan 409")
def test_return_a_loan(api: Api, librarian: Account, member: Account, book: dict[str, Any]) -> None:
    loan = api("createLoan", 201, token=member.token, json={"bookId": book["id"]})
    returned = api("returnLoan", 200, token=member.token, loanId=loan["id"])
    assert returned["status"] == "returned"
    assert returned["returnedAt"] is not None
    assert returned["overdue"] is False
    assert api("getBook", 200, bookId=book["id"])["availableCopies"] == 1
    assert api("returnLoan", 409, token=member.token, loanId=loan["id"])["code"] == "conflict"

    again = api("createLoan", 201, token=member.token, json={"bookId": book["id"]})
    assert api("returnLoan", 200, token=librarian.token, loanId=again["id"])["status"] == "returned"


@covers("listLoans 200")
def test_list_loans_newest_first_and_by_member(
    api: Api, librarian: Account, member: Account, other: Account, add_book: Callable[..., Any]
) -> None:
    books = [add_book(f"Book {n}", copiesTotal=2) for n in range(3)]
    mine = [api("createLoan", 201, token=member.token, json={"bookId": b["id"]}) for b in books]
    theirs = api("createLoan", 201, token=other.token, json={"bookId": books[0]["id"]})

    listed = api("listLoans", 200, token=member.token)
    assert listed["items"] == mine[::-1]
    assert (listed["page"], listed["pageSize"], listed["total"]) == (1, 20, 3)
    assert api("listLoans", 200, token=member.token, query={"memberId": member.id})["total"] == 3
    assert api("listLoans", 200, token=librarian.token)["items"] == [theirs, *mine[::-1]]
    assert api("listLoans", 200, token=librarian.token, query={"memberId": other.id})["items"] == [theirs]
    assert api("listLoans", 200, token=librarian.token, query={"memberId": HUGE_ID})["total"] == 0

    page = api("listLoans", 200, token=member.token, query={"page": 2, "pageSize": 2})
    assert page["items"] == [mine[0]]

    api("returnLoan", 200, token=member.token, loanId=mine[1]["id"])
    assert [x["id"] for x in api("listLoans", 200, token=member.token, query={"status": "returned"})["items"]] == [
        mine[1]["id"]
    ]
    assert api("listLoans", 200, token=member.token, query={"status": "active"})["total"] == 2


@covers("listLoans 200", "getLoan 200")
def test_overdue_loans(
    api: Api, member: Account, add_book: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = api("createLoan", 201, token=member.token, json={"bookId": add_book("Kept")["id"]})
    back = api("createLoan", 201, token=member.token, json={"bookId": add_book("Back")["id"]})
    api("returnLoan", 200, token=member.token, loanId=back["id"])

    move_clock(monkeypatch, 21)  # due today: not overdue yet
    assert api("getLoan", 200, token=member.token, loanId=kept["id"])["overdue"] is False
    assert api("listLoans", 200, token=member.token, query={"overdue": "true"})["total"] == 0

    move_clock(monkeypatch, 1)
    assert api("getLoan", 200, token=member.token, loanId=kept["id"])["overdue"] is True
    late = api("listLoans", 200, token=member.token, query={"overdue": "true"})["items"]
    assert [loan["id"] for loan in late] == [kept["id"]]
    assert late[0]["overdue"] is True
    on_time = api("listLoans", 200, token=member.token, query={"overdue": "false"})["items"]
    assert [(loan["id"], loan["overdue"]) for loan in on_time] == [(back["id"], False)]


@covers("listLoans 400")
@pytest.mark.parametrize(
    ("query", "invalid"),
    [
        ({"status": "lost"}, {"status"}),
        ({"overdue": "1"}, {"overdue"}),
        ({"memberId": "0"}, {"memberId"}),
        ({"memberId": "me"}, {"memberId"}),
        ({"page": "-1", "pageSize": "1000"}, {"page", "pageSize"}),
    ],
)
def test_list_loans_validates_the_query(api: Api, member: Account, query: dict[str, str], invalid: set[str]) -> None:
    assert fields(api("listLoans", 400, token=member.token, query=query)) == invalid


@covers("listLoans 403")
def test_members_cannot_list_the_loans_of_others(api: Api, member: Account, other: Account) -> None:
    assert api("listLoans", 403, token=member.token, query={"memberId": other.id})["code"] == "forbidden"


# -- reservations


@covers("createReservation 201", "listReservations 200")
def test_reserve_a_book_whose_copies_are_all_out(
    api: Api, member: Account, other: Account, book: dict[str, Any]
) -> None:
    loan = api("createLoan", 201, token=other.token, json={"bookId": book["id"]})
    reservation = api("createReservation", 201, token=member.token, json={"bookId": book["id"]})
    assert (reservation["bookId"], reservation["memberId"], reservation["status"]) == (book["id"], member.id, "waiting")
    assert api("listReservations", 200, token=member.token)["items"] == [reservation]

    # The copy comes back; borrowing it fulfils the reservation.
    api("returnLoan", 200, token=other.token, loanId=loan["id"])
    api("createLoan", 201, token=member.token, json={"bookId": book["id"]})
    assert api("listReservations", 200, token=member.token)["items"] == [{**reservation, "status": "fulfilled"}]


@covers("createReservation 400")
@pytest.mark.parametrize(
    ("body", "invalid"),
    [
        ({}, {"bookId"}),
        ({"bookId": "1"}, {"bookId"}),
        ({"bookId": 0}, {"bookId"}),
        ({"bookId": 1, "memberId": 2}, {"memberId"}),
    ],
)
def test_reserve_validates_the_body(api: Api, member: Account, body: dict[str, Any], invalid: set[str]) -> None:
    assert fields(api("createReservation", 400, token=member.token, json=body)) == invalid


@covers("createReservation 404")
def test_reserve_an_unknown_book(api: Api, member: Account) -> None:
    for book_id in (7, HUGE_ID):
        assert api("createReservation", 404, token=member.token, json={"bookId": book_id})["code"] == "not_found"


@covers("createReservation 409")
def test_reserve_conflicts(api: Api, member: Account, other: Account, book: dict[str, Any]) -> None:
    body = {"bookId": book["id"]}
    api("createReservation", 409, token=member.token, json=body)  # a copy is on the shelf
    api("createLoan", 201, token=other.token, json=body)
    api("createReservation", 201, token=member.token, json=body)
    api("createReservation", 409, token=member.token, json=body)  # already waiting
    assert api("createReservation", 409, token=other.token, json=body)["code"] == "conflict"  # borrows it


@covers("listReservations 200")
def test_list_reservations_oldest_first_with_filters(
    api: Api, librarian: Account, member: Account, other: Account, add_book: Callable[..., Any]
) -> None:
    first, second = add_book("First"), add_book("Second")
    for book in (first, second):
        api("createLoan", 201, token=librarian.token, json={"bookId": book["id"]})
    mine = [api("createReservation", 201, token=member.token, json={"bookId": b["id"]}) for b in (first, second)]
    theirs = api("createReservation", 201, token=other.token, json={"bookId": first["id"]})
    api("cancelReservation", 204, token=member.token, reservationId=mine[1]["id"])
    cancelled = {**mine[1], "status": "cancelled"}

    listed = api("listReservations", 200, token=member.token)
    assert listed["items"] == [mine[0], cancelled]
    assert (listed["page"], listed["pageSize"], listed["total"]) == (1, 20, 2)
    assert api("listReservations", 200, token=librarian.token)["items"] == [mine[0], cancelled, theirs]
    assert api("listReservations", 200, token=librarian.token, query={"bookId": first["id"]})["items"] == [
        mine[0],
        theirs,
    ]
    assert api("listReservations", 200, token=librarian.token, query={"bookId": HUGE_ID})["total"] == 0
    assert api("listReservations", 200, token=member.token, query={"status": "cancelled"})["items"] == [cancelled]
    assert api("listReservations", 200, token=librarian.token, query={"status": "waiting", "pageSize": 1, "page": 2})[
        "items"
    ] == [theirs]


@covers("listReservations 400")
@pytest.mark.parametrize(
    ("query", "invalid"),
    [
        ({"status": "done"}, {"status"}),
        ({"bookId": "0"}, {"bookId"}),
        ({"bookId": "x"}, {"bookId"}),
        ({"pageSize": "101"}, {"pageSize"}),
    ],
)
def test_list_reservations_validates_the_query(
    api: Api, member: Account, query: dict[str, str], invalid: set[str]
) -> None:
    assert fields(api("listReservations", 400, token=member.token, query=query)) == invalid


@covers("cancelReservation 204", "cancelReservation 403", "cancelReservation 409")
def test_cancel_a_reservation(
    api: Api, librarian: Account, member: Account, other: Account, add_book: Callable[..., Any]
) -> None:
    first, second = add_book("First"), add_book("Second")
    for book in (first, second):
        api("createLoan", 201, token=librarian.token, json={"bookId": book["id"]})
    reservation = api("createReservation", 201, token=member.token, json={"bookId": first["id"]})
    assert api("cancelReservation", 403, token=other.token, reservationId=reservation["id"])["code"] == "forbidden"
    api("cancelReservation", 204, token=member.token, reservationId=reservation["id"])
    assert api("cancelReservation", 409, token=member.token, reservationId=reservation["id"])["code"] == "conflict"

    # A librarian may cancel anyone's reservation; a fulfilled one cannot be cancelled.
    theirs = api("createReservation", 201, token=other.token, json={"bookId": second["id"]})
    api("cancelReservation", 204, token=librarian.token, reservationId=theirs["id"])
    again = api("createReservation", 201, token=member.token, json={"bookId": second["id"]})
    loan = api("listLoans", 200, token=librarian.token, query={"status": "active"})["items"][0]
    api("returnLoan", 200, token=librarian.token, loanId=loan["id"])
    api("createLoan", 201, token=member.token, json={"bookId": second["id"]})
    api("cancelReservation", 409, token=member.token, reservationId=again["id"])


@covers("cancelReservation 404")
def test_cancel_an_unknown_reservation(api: Api, member: Account) -> None:
    for reservation_id in (1, HUGE_ID, "abc"):
        api("cancelReservation", 404, token=member.token, reservationId=reservation_id)


# -- the service as a whole


def test_unknown_urls_and_methods_answer_with_the_error_body(app: Flask) -> None:
    client = app.test_client()
    for response, status in ((client.get("/nowhere"), 404), (client.put("/books"), 405)):
        assert response.status_code == status
        assert response.mimetype == "application/json"
        assert set(response.get_json()) == {"code", "message"}


def test_data_survives_a_restart(api: Api, book: dict[str, Any]) -> None:
    restarted = Api(create_app().test_client())
    assert restarted("getBook", 200, bookId=book["id"]) == book


def test_every_documented_response_is_exercised() -> None:
    declared = set().union(*(getattr(test, "covers", ()) for test in globals().values()))
    assert declared == documented_responses()
