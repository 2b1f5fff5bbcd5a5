from datetime import date, timedelta


def test_borrowing_takes_a_copy_off_the_shelf(client, member, book):
    response = client.post("/loans", json={"bookId": book["id"]}, headers=member)
    assert response.status_code == 201, response.json
    loan = response.json
    assert loan["status"] == "active"
    assert loan["overdue"] is False
    assert loan["returnedAt"] is None
    assert loan["dueDate"] == (date.today() + timedelta(days=21)).isoformat()
    assert client.get(f"/books/{book['id']}").json["availableCopies"] == 0

    again = client.post("/loans", json={"bookId": book["id"]}, headers=member)
    assert again.status_code == 409


def test_members_list_only_their_own_loans(client, member, librarian, book):
    client.post("/loans", json={"bookId": book["id"]}, headers=member)
    mine = client.get("/loans", headers=member).json
    assert mine["total"] == 1
    assert mine["pageSize"] == 20
    other = client.get("/loans", query_string={"memberId": 999}, headers=member)
    assert other.status_code == 403
    assert client.get("/loans", query_string={"status": "returned"}, headers=librarian).json["total"] == 0


def test_only_librarians_lend_to_someone_else(client, member, book):
    response = client.post("/loans", json={"bookId": book["id"], "memberId": 1}, headers=member)
    assert response.status_code == 403


def test_unknown_book_is_404(client, member):
    response = client.post("/loans", json={"bookId": 4242}, headers=member)
    assert response.status_code == 404
    assert response.json["code"] == "not_found"
