from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request

from app.routes.security import login_required
from app.schemas.common import page_of
from app.schemas.loans import LoanCreateSchema, LoanQuerySchema, LoanSchema
from app.services import lending

bp = Blueprint("loans", __name__, url_prefix="/loans")


@bp.get("")
@login_required
def list_loans() -> Any:
    params = LoanQuerySchema().load(request.args)
    page = lending.list_loans(
        g.member,
        status=params.get("status"),
        overdue=params.get("overdue"),
        member_id=params.get("member_id"),
        page=params["page"],
        page_size=params["page_size"],
    )
    return page_of(LoanSchema(), page)


@bp.post("")
@login_required
def create_loan() -> Any:
    data = LoanCreateSchema().load(request.get_json(silent=True))
    return LoanSchema().dump(lending.borrow(g.member, **data)), 201


@bp.get("/<int:loan_id>")
@login_required
def get_loan(loan_id: int) -> Any:
    return LoanSchema().dump(lending.get_loan(g.member, loan_id))


@bp.post("/<int:loan_id>/return")
@login_required
def return_loan(loan_id: int) -> Any:
    return LoanSchema().dump(lending.return_loan(g.member, loan_id))
