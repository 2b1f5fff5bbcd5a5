def test_register_rejects_a_duplicate_email(client, member):
    body = {"email": "ADA@example.org", "password": "another-pass", "fullName": "Ada Again"}
    response = client.post("/auth/register", json=body)
    assert response.status_code == 409
    assert response.json["code"] == "conflict"


def test_login_with_a_wrong_password_is_401(client, member):
    response = client.post("/auth/login", json={"email": "ada@example.org", "password": "nope"})
    assert response.status_code == 401
    assert response.json["code"] == "unauthorized"


def test_book_lifecycle(client, librarian, book):
    assert book["availableCopies"] == 1
    assert book["createdAt"].endswith("+00:00")
    url = f"/books/{book['id']}"
    assert client.get(url).json["title"] == "Crime and Punishment"

    changed = client.patch(url, json={"copiesTotal": 3, "publishedYear": None}, headers=librarian)
    assert changed.status_code == 200
    assert changed.json["copiesTotal"] == 3
    assert changed.json["publishedYear"] is None

    listed = client.get("/books", query_string={"q": "crime", "available": "true"}).json
    assert listed["total"] == 1
    assert listed["items"][0]["id"] == book["id"]

    assert client.delete(url, headers=librarian).status_code == 204
    assert client.get(url).status_code == 404


def test_members_cannot_change_the_catalogue(client, member, book):
    assert client.post("/books", json={}, headers={}).status_code == 401
    response = client.delete(f"/books/{book['id']}", headers=member)
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


def test_invalid_book_is_400_with_details(client, librarian):
    body = {"isbn": "12-34", "title": "", "author": "X", "copiesTotal": 0, "colour": "red"}
    response = client.post("/books", json=body, headers=librarian)
    assert response.status_code == 400
    assert response.json["code"] == "validation_error"
    fields = {d["field"] for d in response.json["details"]}
    assert {"isbn", "title", "copiesTotal", "colour"} <= fields


def test_duplicate_isbn_is_409(client, librarian, book):
    body = {"isbn": book["isbn"], "title": "Another", "author": "Someone", "copiesTotal": 1}
    assert client.post("/books", json=body, headers=librarian).status_code == 409
