import pytest

from app import create_app

LIBRARIAN = {"email": "librarian@example.org", "password": "shelve-it-123"}


@pytest.fixture
def client(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}",
            "SECRET_KEY": "test-secret",
            "LIBRARIAN_EMAIL": LIBRARIAN["email"],
            "LIBRARIAN_PASSWORD": LIBRARIAN["password"],
        }
    )
    return app.test_client()


def bearer(client, email, password):
    response = client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['accessToken']}"}


@pytest.fixture
def librarian(client):
    return bearer(client, **LIBRARIAN)


@pytest.fixture
def member(client):
    body = {"email": "ada@example.org", "password": "correct-horse", "fullName": "Ada Reader"}
    assert client.post("/auth/register", json=body).status_code == 201
    return bearer(client, body["email"], body["password"])


@pytest.fixture
def book(client, librarian):
    body = {"isbn": "9780140449136", "title": "Crime and Punishment", "author": "Fyodor Dostoevsky",
            "publishedYear": 1866, "copiesTotal": 1}
    response = client.post("/books", json=body, headers=librarian)
    assert response.status_code == 201, response.json
    return response.json
