from __future__ import annotations

from flask import Blueprint, g, request

from app.routes.security import login_required
from app.schemas import LoanCreateSchema, LoanQuerySchema, LoanSchema, page_of
from app.services import lending

bp = Blueprint("loans", __name__, url_prefix="/loans")


@bp.get("")
@login_required
def list_loans():
    query = LoanQuerySchema().load(request.args)
    page = lending.list_loans(
        g.member,
        status=query.get("status"),
        overdue=query.get("overdue"),
        member_id=query.get("member_id"),
        page=query["page"],
        page_size=query["page_size"],
    )
    return page_of(LoanSchema(), page)


@bp.post("")
@login_required
def create_loan():
    data = LoanCreateSchema().load(request.get_json(silent=True))
    return LoanSchema().dump(lending.borrow(g.member, **data)), 201
